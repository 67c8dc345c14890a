import { randomUUID } from 'node:crypto';
import {
  type BillingContext,
  type Catalog,
  counterPeriodAt,
  crossedThresholds,
  decideCheck,
  decimalText,
  enforcedCeiling,
  isSubscriptionActive,
  toDecimal,
} from '@tollgate/core';
import { sql } from 'drizzle-orm';
import { type DbOrTx, withTransaction } from '../db/transaction.js';
import { conflict } from '../errors.js';
import { type CheckAnswer, toCheckAnswer } from './check-answer.js';
import type { CheckInput } from './check-feature.js';
import { ORGANIZATION_TOTAL, upsertCounters } from './counters.js';
import { insertEvents } from './ingest-events.js';
import { queryRows } from './query-rows.js';
import { readCounter } from './read-counter.js';
import { recordAlerts } from './record-alerts.js';
import { retryTransaction } from './retry.js';

/**
 * Checks and records usage in one step. The counter moves by a conditional UPDATE (… where used + q
 * ≤ ceiling), which PostgreSQL re-evaluates after waiting on a concurrent consume's row lock, so no
 * interleaving can pass a hard limit. A repeated idempotency key returns the first answer.
 */
export async function consumeFeature(
  db: DbOrTx,
  catalog: Catalog,
  context: BillingContext,
  input: CheckInput,
  now: Date,
): Promise<CheckAnswer> {
  const feature = catalog.feature(input.feature);
  const planFeature = catalog.planFeature(context.planCode, input.feature);
  if (!feature) throw new Error(`feature ${input.feature} vanished from the catalog`);
  const period = counterPeriodAt(feature.reset, context, now);
  const decide = (used: Parameters<typeof decideCheck>[0]['used']) =>
    decideCheck({
      planFeature,
      used,
      quantity: input.quantity,
      defaultGracePercent: catalog.definition.metering.default_grace_percent,
      subscriptionActive: isSubscriptionActive(context.status),
    });
  const key = { organizationId: input.organizationId, feature: input.feature, periodStart: period.start };
  return retryTransaction(() =>
    withTransaction(db, async (tx) => {
      if (input.idempotencyKey !== undefined) {
        const prior = await claimIdempotencyKey(tx, input, now);
        if (prior) return prior;
      }
      let answer: CheckAnswer;
      const probe = decide(0);
      if (typeof planFeature !== 'object' || (!probe.allowed && probe.reason !== 'limit_exceeded')) {
        answer = toCheckAnswer(
          input.feature,
          decide(await readCounter(tx, key.organizationId, key.feature, period)),
          catalog,
          context.planCode,
        );
      } else {
        const ceiling = enforcedCeiling(planFeature, catalog.definition.metering.default_grace_percent);
        const quantity = decimalText(input.quantity);
        await tx.execute(sql`
          insert into usage_counters (organization_id, feature, period_start, project_id, period_end, aggregation, used, updated_at)
          values (${key.organizationId}, ${key.feature}, ${period.start.toISOString()}::timestamptz, ${ORGANIZATION_TOTAL},
                  ${period.end.toISOString()}::timestamptz, ${feature.aggregation}, 0, ${now.toISOString()}::timestamptz)
          on conflict do nothing`);
        const [moved] = await queryRows<{ used: string }>(
          tx,
          sql`
          update usage_counters
          set used = used + ${quantity}::numeric, last_event_at = greatest(last_event_at, ${now.toISOString()}::timestamptz),
              updated_at = ${now.toISOString()}::timestamptz
          where organization_id = ${key.organizationId} and feature = ${key.feature}
            and period_start = ${period.start.toISOString()}::timestamptz and project_id = ${ORGANIZATION_TOTAL}
            and (${ceiling === null ? null : decimalText(ceiling)}::numeric is null
                 or used + ${quantity}::numeric <= ${ceiling === null ? null : decimalText(ceiling)}::numeric)
          returning used::text as used`,
        );
        if (!moved) {
          answer = toCheckAnswer(
            input.feature,
            decide(await readCounter(tx, key.organizationId, key.feature, period)),
            catalog,
            context.planCode,
          );
        } else {
          const after = toDecimal(moved.used);
          const before = after.minus(input.quantity);
          answer = toCheckAnswer(input.feature, decide(before), catalog, context.planCode, after);
          await recordConsumedUsage(tx, catalog, input, period, now);
          if (planFeature.included !== 'unlimited') {
            const limit = toDecimal(planFeature.included);
            const thresholds = crossedThresholds(
              catalog.definition.metering.alert_thresholds,
              limit,
              before,
              after,
            );
            await recordAlerts(
              tx,
              thresholds.map((threshold) => ({
                ...key,
                periodEnd: period.end,
                threshold,
                used: after,
                limit,
              })),
              now,
            );
          }
        }
      }
      if (input.idempotencyKey !== undefined) {
        await tx.execute(sql`update usage_consumptions set response = ${JSON.stringify(answer)}::jsonb
          where organization_id = ${input.organizationId} and idempotency_key = ${input.idempotencyKey}`);
      }
      return answer;
    }),
  );
}

/** Claims the key for this request, or returns the answer given the first time it was used. */
async function claimIdempotencyKey(
  tx: DbOrTx,
  input: CheckInput,
  now: Date,
): Promise<CheckAnswer | undefined> {
  const claimed = await queryRows<{ claimed: number }>(
    tx,
    sql`
    insert into usage_consumptions (organization_id, idempotency_key, feature, quantity, created_at)
    values (${input.organizationId}, ${input.idempotencyKey}, ${input.feature}, ${decimalText(input.quantity)}::numeric,
            ${now.toISOString()}::timestamptz)
    on conflict do nothing
    returning 1 as claimed`,
  );
  if (claimed.length > 0) return undefined;
  // The first request has committed (the insert above waited for it), so its answer is there.
  const [prior] = await queryRows<{
    feature: string;
    quantity: string;
    response: CheckAnswer | string | null;
  }>(
    tx,
    sql`
    select feature, quantity::text as quantity, response from usage_consumptions
    where organization_id = ${input.organizationId} and idempotency_key = ${input.idempotencyKey}`,
  );
  if (!prior || prior.response === null) throw new Error('idempotent consume has no stored answer');
  if (prior.feature !== input.feature || !toDecimal(prior.quantity).eq(input.quantity)) {
    throw conflict(
      'idempotency_key_reused',
      'this idempotency_key was used with another feature or quantity',
    );
  }
  return typeof prior.response === 'string' ? (JSON.parse(prior.response) as CheckAnswer) : prior.response;
}

/** The consumed quantity as a usage event (for history and recomputation) and on the project's counter. */
async function recordConsumedUsage(
  tx: DbOrTx,
  catalog: Catalog,
  input: CheckInput,
  period: { start: Date; end: Date },
  now: Date,
) {
  const id =
    input.idempotencyKey !== undefined ? `consume:${input.idempotencyKey}` : `consume:${randomUUID()}`;
  await insertEvents(
    tx,
    [
      {
        index: 0,
        organizationId: input.organizationId,
        id,
        event: input.feature,
        feature: input.feature,
        projectId: input.projectId ?? null,
        userId: input.userId ?? null,
        quantity: input.quantity,
        timestamp: now,
        properties: null,
      },
    ],
    now,
  );
  if (input.projectId === undefined) return;
  await upsertCounters(
    tx,
    [
      {
        organizationId: input.organizationId,
        feature: input.feature,
        periodStart: period.start,
        periodEnd: period.end,
        projectId: input.projectId,
        aggregation: catalog.feature(input.feature)?.aggregation ?? 'sum',
        value: input.quantity,
        lastEventAt: now,
      },
    ],
    now,
  );
}
