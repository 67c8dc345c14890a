import { randomUUID } from 'node:crypto';
import {
  type Aggregation,
  type ConsumeOutcome,
  type Decimal,
  decimalText,
  foldHourlyRollups,
  toDecimal,
  usageAfterUse,
} from '@tollgate/core';
import { namedStatement } from '../../db/named-statement.js';
import { type AlertCrossing, alertRows, alertTexts } from '../tables/usage-alerts.js';
import { claimWithAnswersText, storeAnswersText } from '../tables/usage-consumptions.js';
import {
  type CounterWrite,
  counterKey,
  counterWriteRows,
  counterWriteText,
  type LockableCounter,
  verifyUsageText,
} from '../tables/usage-counters.js';
import { eventRows, storeEventsText } from '../tables/usage-events.js';
import { rollupRows, rollupUpsertText } from '../tables/usage-rollups.js';
import type { CheckInput } from '../types.js';

/** A decided consume's inputs, as the write statements need them. */
export type ConsumeToWrite = {
  input: CheckInput;
  now: Date;
  total: LockableCounter;
  project: LockableCounter | null;
};

/** A part of a write statement that the batch does not have. */
const NONE = '[]';

/** The rows a batch writes, each a json parameter of both statements below. */
export type WriteRows = {
  /** Organization counters set to the usage the plan reached. */
  countersSet: string;
  /** Project counters, merged into by their aggregation (they are not locked nor read). */
  countersAdd: string;
  /** A usage event per moved consume. */
  events: string;
  rollups: string;
  alerts: string;
};

/** The rows of a batch's writes; `moved` is false when no consume moved a counter. */
export function consumeWriteRows(
  items: readonly ConsumeToWrite[],
  outcomes: readonly ConsumeOutcome[],
): { rows: WriteRows; moved: boolean } {
  const counterWrites = { set: new Map<string, CounterWrite>(), add: new Map<string, CounterWrite>() };
  const writeCounter = (counter: LockableCounter, mode: 'set' | 'add', value: Decimal, at: Date) => {
    const key = counterKey(counter);
    const prior = counterWrites[mode].get(key);
    const lastEventAt = prior && prior.lastEventAt > at ? prior.lastEventAt : at;
    // A project counter gets the batch's uses folded as events would be; the statement merges that
    // into the stored value by the counter's aggregation.
    const next =
      mode === 'set'
        ? value
        : usageAfterUse(
            counter.aggregation as Exclude<Aggregation, 'unique_count'>,
            prior?.value ?? toDecimal(0),
            value,
          );
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
  if (moved.length === 0) {
    return {
      rows: { countersSet: NONE, countersAdd: NONE, events: NONE, rollups: NONE, alerts: NONE },
      moved: false,
    };
  }
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
    rows: {
      countersSet: counterRows('set'),
      countersAdd: counterRows('add'),
      events: consumedEventRows(moved),
      rollups: rollups.length > 0 ? rollupRows(rollups) : NONE,
      alerts: crossings.length > 0 ? alertRows(crossings) : NONE,
    },
    moved: true,
  };
}

/** The write CTEs both statements share. */
function writeParts(parameter: Record<keyof WriteRows | 'now', string>): string {
  const alerts = alertTexts(parameter.alerts, parameter.now);
  return `counters_set as (${counterWriteText('set', parameter.countersSet, parameter.now)}),
      counters_add as (${counterWriteText('aggregate', parameter.countersAdd, parameter.now)}),
      events as (${storeEventsText(parameter.events)}),
      rollups as (${rollupUpsertText(parameter.rollups)}),
      fired as (${alerts.fired}),
      notified as (${alerts.notify})`;
}

const WRITE_PARAMETERS = [
  'now',
  'countersSet',
  'countersAdd',
  'events',
  'rollups',
  'alerts',
  'answers',
] as const;

/**
 * A batch decided under lock: every write in one statement, so the batch holds its counters' locks
 * for as few round trips as possible, and the stored answers. Prepared, with one fixed text
 * whatever the batch holds (a part it does not have gets no rows), so that PostgreSQL plans it once per
 * connection rather than on every batch.
 */
export const CONSUME_WRITE = namedStatement(
  'tollgate_consume_write_v1',
  WRITE_PARAMETERS,
  (parameter) => `with ${writeParts(parameter)},
      answers as (${storeAnswersText(parameter.answers)})
    select 1`,
);

/**
 * A batch decided on remembered usage (consume-memory.ts), as one statement that is its own
 * transaction. It claims the batch's idempotency keys with their answers (`answers`), then locks each
 * counter the decisions read, in key order, only where it still holds the usage they read
 * (`expectedUsage`, `expectedUsageRows`) — keys before counters, as under lock. Unless all
 * `answerCount` keys and all `expectedCount` counters are had, `tollgate_require` fails the whole
 * statement with SQLSTATE TG409 and nothing is written. The writes are not referenced by the final
 * SELECT, so PostgreSQL runs them after it; were that order ever to change, a write would have
 * touched a counter before its check, the check would then not see the row as it expects, and the
 * batch would be decided again under lock: slower, never wrong.
 */
export const CONSUME_FROM_MEMORY = namedStatement(
  'tollgate_consume_from_memory_v1',
  [...WRITE_PARAMETERS, 'expectedUsage', 'expectedCount', 'answerCount'],
  (parameter) => `with claimed as (${claimWithAnswersText(parameter.answers)}),
      verified as (${verifyUsageText(parameter.expectedUsage)}),
      ${writeParts(parameter)}
    select tollgate_require(
      (select count(*) from claimed) = ${parameter.answerCount}::int
        and (select count(*) from verified) = ${parameter.expectedCount}::int,
      'a counter or an idempotency key of the batch changed since it was read')`,
);

/** Each allowed consume is also a usage event, so history, audit and recomputation see it. */
function consumedEventRows(items: ReadonlyArray<ConsumeToWrite>): string {
  return eventRows(
    items.map((item) => ({
      organization_id: item.input.organizationId,
      id: `consume:${item.input.idempotencyKey ?? randomUUID()}`,
      event: item.input.feature,
      feature: item.input.feature,
      project_id: item.input.projectId ?? null,
      user_id: item.input.userId ?? null,
      quantity: decimalText(item.input.quantity),
      timestamp: item.now.toISOString(),
      properties: null,
    })),
  );
}
