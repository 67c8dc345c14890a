import { randomUUID } from 'node:crypto';
import {
  type BillingContext,
  type Catalog,
  type ConsumeRequest,
  counterPeriodAt,
  type Decimal,
  decimalText,
  isSubscriptionActive,
  planConsumes,
  toDecimal,
} from '@tollgate/core';
import { type SQL, sql } from 'drizzle-orm';
import { type DbOrTx, withTransaction } from '../db/transaction.js';
import { type CheckAnswer, toCheckAnswer } from './check-answer.js';
import type { CheckInput } from './check-feature.js';
import { claimConsumeKeys, consumeAnswersStatement } from './consume-keys.js';
import {
  type CounterWrite,
  counterWriteStatement,
  type LockableCounter,
  lockCounters,
} from './counter-locks.js';
import { type CounterKey, counterKey, ORGANIZATION_TOTAL } from './counters.js';
import { queryRows } from './query-rows.js';
import { type AlertCrossing, alertStatements } from './record-alerts.js';
import { retryTransaction } from './retry.js';

export type ConsumeItem = { input: CheckInput; context: BillingContext; now: Date };

type Counted = LockableCounter;

/**
 * Consumes a batch of checks in one transaction: claim idempotency keys, lock every counter the
 * batch may move (in key order, so concurrent batches and ingestion cannot deadlock), decide all
 * consumes in order in pure code (`planConsumes`), then write the counters, the usage events, the
 * crossed alerts and the stored answers. Each item is answered as if it had arrived alone, and no
 * interleaving with other batches or processes can pass a limit, because the counters stay locked
 * from the read to the commit. An item's own fault (a reused idempotency key) is its Error alone.
 */
export async function consumeBatch(
  db: DbOrTx,
  catalog: Catalog,
  items: readonly ConsumeItem[],
): Promise<Array<CheckAnswer | Error>> {
  if (items.length === 0) return [];
  return retryTransaction(() => withTransaction(db, (tx) => consumeInTransaction(tx, catalog, items)));
}

async function consumeInTransaction(
  tx: DbOrTx,
  catalog: Catalog,
  items: readonly ConsumeItem[],
): Promise<Array<CheckAnswer | Error>> {
  const answers: Array<CheckAnswer | Error | undefined> = new Array(items.length);
  const keys = await claimConsumeKeys(
    tx,
    items.map((item) => item.input),
    items.map((item) => item.now),
  );
  const active = keys.active.map((index) => ({ index, ...(items[index] as ConsumeItem) }));

  // Setup: the organization counters each consume would move, locked and read in one statement.
  // Project counters are only added to, so they need no read; their organization's lock covers them.
  const planned = active.map((item) => {
    const feature = catalog.feature(item.input.feature);
    if (!feature) throw new Error(`feature ${item.input.feature} vanished from the catalog`);
    const period = counterPeriodAt(feature.reset, item.context, item.now);
    const planFeature = catalog.planFeature(item.context.planCode, item.input.feature);
    const base = {
      organizationId: item.input.organizationId,
      feature: item.input.feature,
      periodStart: period.start,
      periodEnd: period.end,
      aggregation: feature.aggregation,
    };
    const total: Counted = { ...base, projectId: ORGANIZATION_TOTAL };
    const project: Counted | null =
      item.input.projectId === undefined ? null : { ...base, projectId: item.input.projectId };
    const movable = typeof planFeature === 'object' && isSubscriptionActive(item.context.status);
    const request: ConsumeRequest = {
      counter: counterKey(total),
      quantity: item.input.quantity,
      planFeature,
      subscriptionActive: isSubscriptionActive(item.context.status),
      defaultGracePercent: catalog.definition.metering.default_grace_percent,
      alertThresholds: catalog.definition.metering.alert_thresholds,
    };
    return { ...item, total, project, movable, request };
  });
  const toLock = new Map<string, Counted>();
  const toRead = new Map<string, Counted>();
  for (const item of planned) {
    if (item.movable) toLock.set(counterKey(item.total), item.total);
    else toRead.set(counterKey(item.total), item.total);
  }
  for (const key of toLock.keys()) toRead.delete(key);
  const used = await lockCounters(tx, [...toLock.values()], items[0]?.now ?? new Date());
  for (const [key, value] of await readCounters(tx, [...toRead.values()])) used.set(key, value);

  // Compute.
  const plan = planConsumes(
    planned.map((item) => item.request),
    used,
  );

  // Execute.
  // Organization counters are set to the usage the plan reached; project counters are added to.
  const counterWrites = { set: new Map<string, CounterWrite>(), add: new Map<string, CounterWrite>() };
  const writeCounter = (counter: Counted, mode: 'set' | 'add', value: Decimal, at: Date) => {
    const key = counterKey(counter);
    const prior = counterWrites[mode].get(key);
    const lastEventAt = prior && prior.lastEventAt > at ? prior.lastEventAt : at;
    const next = mode === 'set' ? value : (prior?.value ?? toDecimal(0)).plus(value);
    counterWrites[mode].set(key, { counter, value: next, lastEventAt });
  };
  const crossings: AlertCrossing[] = [];
  const movedEvents: Array<{ item: (typeof planned)[number] }> = [];
  planned.forEach((item, position) => {
    const outcome = plan.outcomes[position];
    if (!outcome) throw new Error('consume plan lost an outcome');
    answers[item.index] = toCheckAnswer(
      item.input.feature,
      outcome.decision,
      catalog,
      item.context.planCode,
      outcome.moved ? outcome.usedAfter : undefined,
    );
    if (!outcome.moved) return;
    writeCounter(item.total, 'set', outcome.usedAfter, item.now);
    if (item.project) writeCounter(item.project, 'add', item.input.quantity, item.now);
    movedEvents.push({ item });
    for (const threshold of outcome.crossedThresholds) {
      crossings.push({
        organizationId: item.total.organizationId,
        feature: item.total.feature,
        periodStart: item.total.periodStart,
        periodEnd: item.total.periodEnd,
        threshold,
        used: outcome.usedAfter,
        limit: outcome.included ?? toDecimal(0),
      });
    }
  });
  const now = items.reduce((latest, item) => (item.now > latest ? item.now : latest), items[0]?.now as Date);
  // One statement for every write: the batch holds its counters' locks for as few round trips as possible.
  const writes: SQL[] = [];
  for (const mode of ['set', 'add'] as const) {
    const counters = [...counterWrites[mode].values()];
    if (counters.length > 0) {
      writes.push(sql`${sql.raw(`counters_${mode}`)} as (${counterWriteStatement(counters, mode, now)})`);
    }
  }
  if (movedEvents.length > 0) {
    writes.push(sql`events as (${consumedEventsStatement(movedEvents.map(({ item }) => item))})`);
  }
  if (crossings.length > 0) {
    const alerts = alertStatements(crossings, now);
    writes.push(sql`fired as (${alerts.fired})`, sql`notified as (${alerts.notify})`);
  }
  const settled = keys.settle(answers);
  if (settled.toStore.length > 0) writes.push(sql`answers as (${consumeAnswersStatement(settled.toStore)})`);
  if (writes.length > 0) await tx.execute(sql`with ${sql.join(writes, sql`, `)} select 1`);
  return settled.answers;
}

/** The current usage of counters this batch only reads (no consume of theirs can move them). */
async function readCounters(tx: DbOrTx, counters: CounterKey[]): Promise<Map<string, Decimal>> {
  const used = new Map<string, Decimal>();
  if (counters.length === 0) return used;
  const input = counters.map((counter) => ({
    o: counter.organizationId,
    f: counter.feature,
    ps: counter.periodStart.toISOString(),
    p: counter.projectId,
  }));
  const rows = await queryRows<{
    organization_id: string;
    feature: string;
    period_start: Date | string;
    project_id: string;
    used: string;
  }>(
    tx,
    sql`select c.organization_id, c.feature, c.period_start, c.project_id, c.used::text as used
        from json_to_recordset(${JSON.stringify(input)}::json) as d(o text, f text, ps timestamptz, p text)
        cross join lateral (
          select * from usage_counters
          where organization_id = d.o and feature = d.f and period_start = d.ps and project_id = d.p
          offset 0
        ) c`,
  );
  for (const row of rows) {
    const key = counterKey({
      organizationId: row.organization_id,
      feature: row.feature,
      periodStart: new Date(row.period_start),
      projectId: row.project_id,
    });
    used.set(key, toDecimal(row.used));
  }
  return used;
}

/** Each allowed consume is also a usage event, so history, audit and recomputation see it. */
function consumedEventsStatement(items: ReadonlyArray<ConsumeItem>): SQL {
  const input = items.map((item) => ({
    o: item.input.organizationId,
    i: `consume:${item.input.idempotencyKey ?? randomUUID()}`,
    f: item.input.feature,
    p: item.input.projectId ?? null,
    u: item.input.userId ?? null,
    q: decimalText(item.input.quantity),
    t: item.now.toISOString(),
  }));
  return sql`insert into usage_events
      (organization_id, id, event, feature, project_id, user_id, quantity, "timestamp", received_at)
    select d.o, d.i, d.f, d.f, d.p, d.u, d.q, d.t, d.t
    from json_to_recordset(${JSON.stringify(input)}::json)
      as d(o text, i text, f text, p text, u text, q numeric, t timestamptz)
    on conflict do nothing`;
}
