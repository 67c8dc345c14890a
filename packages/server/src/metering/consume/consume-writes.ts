import { randomUUID } from 'node:crypto';
import {
  type Aggregation,
  type ConsumeOutcome,
  type Decimal,
  decimalText,
  foldHourlyRollups,
  toDecimal,
} from '@tollgate/core';
import type { PreparedStatement } from '../../db/client.js';
import type { CheckInput } from '../check/check-feature.js';
import { type AlertCrossing, alertRows, alertTexts } from '../tables/usage-alerts.js';
import {
  type CounterWrite,
  counterWriteRows,
  counterWriteText,
  type LockableCounter,
  verifyUsageText,
} from '../tables/usage-counters.js';
import { rollupRows, rollupUpsertText } from '../tables/usage-rollups.js';
import { counterKey } from '../tables/usage-unique-values.js';
import { claimWithAnswersText, consumeAnswersText } from './consume-keys.js';

/** A decided consume's inputs, as the write statements need them. */
export type ConsumeToWrite = {
  input: CheckInput;
  now: Date;
  total: LockableCounter;
  project: LockableCounter | null;
};

/** A part of a write statement that the batch does not have. */
export const NONE = '[]';

/**
 * The rows of a batch's writes, parameters $2 – $6 of both statements below: organization counters
 * set to the usage the plan reached, project counters added to, a usage event per moved consume, its
 * hourly rollups, crossed alerts. `moved` is false when no consume moved a counter.
 */
export function consumeWriteRows(
  items: readonly ConsumeToWrite[],
  outcomes: readonly ConsumeOutcome[],
): { rows: string[]; moved: boolean } {
  const counterWrites = { set: new Map<string, CounterWrite>(), add: new Map<string, CounterWrite>() };
  const writeCounter = (counter: LockableCounter, mode: 'set' | 'add', value: Decimal, at: Date) => {
    const key = counterKey(counter);
    const prior = counterWrites[mode].get(key);
    const lastEventAt = prior && prior.lastEventAt > at ? prior.lastEventAt : at;
    const next = mode === 'set' ? value : (prior?.value ?? toDecimal(0)).plus(value);
    counterWrites[mode].set(key, { counter, value: next, lastEventAt });
  };
  const moved: ConsumeToWrite[] = [];
  const crossings: AlertCrossing[] = [];
  items.forEach((item, position) => {
    const outcome = outcomes[position] as ConsumeOutcome;
    if (!outcome.moved) return;
    moved.push(item);
    writeCounter(item.total, 'set', outcome.usedAfter, item.now);
    if (item.project) writeCounter(item.project, 'add', item.input.quantity, item.now);
    for (const threshold of outcome.crossedThresholds) {
      const { organizationId, feature, periodStart, periodEnd } = item.total;
      const limit = outcome.included ?? toDecimal(0);
      crossings.push({
        organizationId,
        feature,
        periodStart,
        periodEnd,
        threshold,
        used: outcome.usedAfter,
        limit,
      });
    }
  });
  if (moved.length === 0) return { rows: [NONE, NONE, NONE, NONE, NONE], moved: false };
  const counterRows = (mode: 'set' | 'add') =>
    counterWrites[mode].size > 0 ? counterWriteRows([...counterWrites[mode].values()]) : NONE;
  // The counter's aggregation is the catalog feature's (planConsume), typed loosely as stored text.
  const aggregations = new Map(
    moved.map((item) => [item.input.feature, item.total.aggregation as Aggregation]),
  );
  const rollups = foldHourlyRollups(
    moved.map((item) => ({
      organizationId: item.input.organizationId,
      feature: item.input.feature,
      quantity: item.input.quantity,
      timestamp: item.now,
    })),
    (feature) => aggregations.get(feature),
  );
  return {
    rows: [
      counterRows('set'),
      counterRows('add'),
      consumedEventRows(moved),
      rollups.length > 0 ? rollupRows(rollups) : NONE,
      crossings.length > 0 ? alertRows(crossings) : NONE,
    ],
    moved: true,
  };
}

/** The write CTEs both statements share, over parameters $1 (time) to $6. */
function writeParts(): string {
  const alerts = alertTexts('$6', '$1');
  return `counters_set as (${counterWriteText('set', '$2', '$1')}),
      counters_add as (${counterWriteText('add', '$3', '$1')}),
      events as (${consumedEventsText('$4')}),
      rollups as (${rollupUpsertText('$5')}),
      fired as (${alerts.fired}),
      notified as (${alerts.notify})`;
}

/**
 * A batch decided under lock: every write in one statement, so the batch holds its counters' locks
 * for as few round trips as possible, and the stored answers ($7). Prepared, with one fixed text
 * whatever the batch holds (a part it does not have gets no rows), so that PostgreSQL plans it once per
 * connection rather than on every batch.
 */
export const CONSUME_WRITE: PreparedStatement = {
  name: 'tollgate_consume_write_v1',
  text: `with ${writeParts()},
      answers as (${consumeAnswersText('$7')})
    select 1`,
};

/**
 * A batch decided on remembered usage (consume-memory.ts), as one statement that is its own
 * transaction. It claims the batch's idempotency keys with their answers ($7), then locks each counter
 * the decisions read, in key order, only where it still holds the usage they read ($8,
 * `expectedUsageRows`) — keys before counters, as under lock. Unless all $10 keys and all $9 counters
 * are had, `tollgate_require` fails the whole statement with SQLSTATE TG409 and nothing is written.
 * The writes are not referenced by the final SELECT, so PostgreSQL runs them after it; were that order
 * ever to change, a write would have touched a counter before its check, the check would then not see
 * the row as it expects, and the batch would be decided again under lock: slower, never wrong.
 */
export const CONSUME_FROM_MEMORY: PreparedStatement = {
  name: 'tollgate_consume_from_memory_v1',
  text: `with claimed as (${claimWithAnswersText('$7')}),
      verified as (${verifyUsageText('$8')}),
      ${writeParts()}
    select tollgate_require(
      (select count(*) from claimed) = $10::int and (select count(*) from verified) = $9::int,
      'a counter or an idempotency key of the batch changed since it was read')`,
};

/** Each allowed consume is also a usage event, so history, audit and recomputation see it. */
function consumedEventRows(items: ReadonlyArray<ConsumeToWrite>): string {
  const input = items.map((item) => ({
    o: item.input.organizationId,
    i: `consume:${item.input.idempotencyKey ?? randomUUID()}`,
    f: item.input.feature,
    p: item.input.projectId ?? null,
    u: item.input.userId ?? null,
    q: decimalText(item.input.quantity),
    t: item.now.toISOString(),
  }));
  return JSON.stringify(input);
}

/** The usage events of `consumedEventRows`, from the json parameter `rows`. */
function consumedEventsText(rows: string): string {
  return `insert into usage_events
      (organization_id, id, event, feature, project_id, user_id, quantity, "timestamp", received_at)
    select d.o, d.i, d.f, d.f, d.p, d.u, d.q, d.t, d.t
    from json_to_recordset(${rows}::json)
      as d(o text, i text, f text, p text, u text, q numeric, t timestamptz)
    on conflict do nothing`;
}
