import { randomUUID } from 'node:crypto';
import {
  type BillingContext,
  type Catalog,
  counterPeriodAt,
  type Decimal,
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
import { queryRows } from './query-rows.js';
import { readCounter } from './read-counter.js';
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
  // Without an idempotency key or a project, the one statement of moveCounter is atomic on its own.
  const needsTransaction = input.idempotencyKey !== undefined || input.projectId !== undefined;
  const alerts = {
    included:
      planFeature && typeof planFeature === 'object' && planFeature.included !== 'unlimited'
        ? toDecimal(planFeature.included)
        : null,
    thresholds: catalog.definition.metering.alert_thresholds,
  };
  const work = async (tx: DbOrTx): Promise<CheckAnswer> => {
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
      // A first consume creates the counter with the quantity itself, so it must fit on its own.
      const fits = ceiling === null || input.quantity.lte(ceiling);
      const moved = fits
        ? await moveCounter(tx, input, key, period, feature.aggregation, ceiling, alerts, now)
        : undefined;
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
        if (input.projectId !== undefined) {
          await addToProjectCounter(tx, catalog, { ...input, projectId: input.projectId }, period, now);
        }
      }
    }
    if (input.idempotencyKey !== undefined) {
      await tx.execute(sql`update usage_consumptions set response = ${JSON.stringify(answer)}::jsonb
          where organization_id = ${input.organizationId} and idempotency_key = ${input.idempotencyKey}`);
    }
    return answer;
  };
  return retryTransaction(() => (needsTransaction ? withTransaction(db, work) : work(db)));
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

/**
 * One statement: adds the quantity to the organization's counter (creating it) only while it stays
 * within the ceiling, and stores the consumed quantity as a usage event when it did. ON CONFLICT DO
 * UPDATE … WHERE locks the row and re-checks the condition on its latest version, so concurrent
 * consumes queue on the row and none can pass the ceiling.
 */
async function moveCounter(
  tx: DbOrTx,
  input: CheckInput,
  key: { organizationId: string; feature: string; periodStart: Date },
  period: { start: Date; end: Date },
  aggregation: string,
  ceiling: Decimal | null,
  alerts: { included: Decimal | null; thresholds: readonly number[] },
  now: Date,
): Promise<{ used: string } | undefined> {
  const quantity = decimalText(input.quantity);
  const limit = ceiling === null ? null : decimalText(ceiling);
  const at = now.toISOString();
  const eventId = `consume:${input.idempotencyKey ?? randomUUID()}`;
  const included = alerts.included === null ? null : decimalText(alerts.included);
  const [moved] = await queryRows<{ used: string }>(
    tx,
    sql`with moved as (
          insert into usage_counters as c
            (organization_id, feature, period_start, project_id, period_end, aggregation, used, last_event_at, updated_at)
          values (${key.organizationId}, ${key.feature}, ${period.start.toISOString()}::timestamptz, ${ORGANIZATION_TOTAL},
                  ${period.end.toISOString()}::timestamptz, ${aggregation}, ${quantity}::numeric, ${at}::timestamptz, ${at}::timestamptz)
          on conflict (organization_id, feature, period_start, project_id) do update
            set used = c.used + excluded.used, last_event_at = greatest(c.last_event_at, excluded.last_event_at),
                updated_at = excluded.updated_at
            where ${limit}::numeric is null or c.used + excluded.used <= ${limit}::numeric
          returning used
        ), recorded as (
          insert into usage_events
            (organization_id, id, event, feature, project_id, user_id, quantity, "timestamp", received_at)
          select ${key.organizationId}, ${eventId}, ${key.feature}, ${key.feature}, ${input.projectId ?? null},
                 ${input.userId ?? null}, ${quantity}::numeric, ${at}::timestamptz, ${at}::timestamptz
          from moved
          on conflict do nothing
        ), fired as (
          -- The thresholds this consume crossed (used - q < mark <= used), as crossedThresholds in core decides
          -- for ingestion; the primary key keeps each to one alert per period.
          insert into usage_alerts (organization_id, feature, period_start, threshold, period_end, used, "limit", created_at)
          select ${key.organizationId}, ${key.feature}, ${period.start.toISOString()}::timestamptz, t.threshold,
                 ${period.end.toISOString()}::timestamptz, moved.used, ${included}::numeric, ${at}::timestamptz
          from moved
          cross join (select value::int as threshold from json_array_elements_text(${JSON.stringify(alerts.thresholds)}::json)) t
          where ${included}::numeric > 0
            and moved.used - ${quantity}::numeric < ${included}::numeric * t.threshold / 100
            and moved.used >= ${included}::numeric * t.threshold / 100
          on conflict do nothing
          returning period_start, period_end, threshold, used, "limit"
        ), notified as (
          insert into notification_outbox (organization_id, id, kind, payload, created_at, next_attempt_at)
          select ${key.organizationId}, 'ntf_' || replace(gen_random_uuid()::text, '-', ''), 'usage.threshold_crossed',
                 jsonb_build_object('feature', ${key.feature}::text, 'threshold', threshold, 'used', used::text,
                   'limit', "limit"::text, 'period_start', period_start, 'period_end', period_end),
                 ${at}::timestamptz, ${at}::timestamptz
          from fired
        )
        select used::text as used from moved`,
  );
  return moved;
}

/** The consumed quantity on the project's counter, for the per-project breakdown. */
async function addToProjectCounter(
  tx: DbOrTx,
  catalog: Catalog,
  input: CheckInput & { projectId: string },
  period: { start: Date; end: Date },
  now: Date,
) {
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
