import { randomUUID } from 'node:crypto';
import {
  type Aggregation,
  type BillingContext,
  type Catalog,
  type ConsumeOutcome,
  type ConsumeRequest,
  counterPeriodAt,
  type Decimal,
  decimalText,
  foldHourlyRollups,
  isSubscriptionActive,
  planConsumes,
  toDecimal,
} from '@tollgate/core';
import type { PreparedStatement } from '../db/client.js';
import {
  type StatementSession,
  type StatementTransactionRunner,
  withStatementTransaction,
} from '../db/statement-transaction.js';
import type { DbOrTx } from '../db/transaction.js';
import { type CheckAnswer, toCheckAnswer } from './check-answer.js';
import type { CheckInput } from './check-feature.js';
import {
  claimConsumeKeys,
  consumeAnswerRows,
  consumeAnswersText,
  type StoredAnswer,
} from './consume-keys.js';
import {
  type CounterWrite,
  counterWriteRows,
  counterWriteText,
  type LockableCounter,
  lockCounters,
  readCounters,
} from './counter-locks.js';
import { counterKey, ORGANIZATION_TOTAL } from './counters.js';
import { type AlertCrossing, alertRows, alertTexts } from './record-alerts.js';
import { retryTransaction } from './retry.js';
import { rollupRows, rollupUpsertText } from './rollups.js';

export type ConsumeItem = { input: CheckInput; context: BillingContext; now: Date };

/** A consume to decide, with the counters it would move. */
type PlannedConsume = ConsumeItem & {
  /** Its position in the batch. */
  index: number;
  total: LockableCounter;
  project: LockableCounter | null;
  /** False when the plan cannot move the counter (feature not in it, boolean, inactive subscription). */
  movable: boolean;
  request: ConsumeRequest;
};

/**
 * Consumes a batch of checks in one transaction: claim idempotency keys, lock every organization
 * counter the batch may move (in key order, so concurrent batches and ingestion cannot deadlock),
 * decide all consumes in order in pure code (`planConsumes`), then write the counters, the usage
 * events, the crossed alerts and the stored answers in one statement. Each item is answered as if it
 * had arrived alone, and no interleaving with other batches or processes can pass a limit, because
 * the counters stay locked from the read to the commit. An item's own fault (a reused idempotency
 * key) is its Error alone. With `statementTransaction` (PostgreSQL) and no outer transaction, the
 * batch is two round trips: BEGIN with the lock, the write with COMMIT.
 */
export async function consumeBatch(
  db: DbOrTx,
  catalog: Catalog,
  items: readonly ConsumeItem[],
  statementTransaction?: StatementTransactionRunner,
): Promise<Array<CheckAnswer | Error>> {
  if (items.length === 0) return [];
  return retryTransaction(() =>
    withStatementTransaction(db, statementTransaction, (session) =>
      consumeInTransaction(session, catalog, items),
    ),
  );
}

async function consumeInTransaction(
  session: StatementSession,
  catalog: Catalog,
  items: readonly ConsumeItem[],
): Promise<Array<CheckAnswer | Error>> {
  const now = items.reduce(
    (latest, item) => (item.now > latest ? item.now : latest),
    (items[0] as ConsumeItem).now,
  );
  // Setup.
  const keys = await claimConsumeKeys(
    session,
    items.map((item) => item.input),
    items.map((item) => item.now),
  );
  const planned = keys.active.map((index) => planConsume(catalog, index, items[index] as ConsumeItem));
  const used = await readUsage(session, planned, now);
  // Compute.
  const plan = planConsumes(
    planned.map((item) => item.request),
    used,
  );
  const answers: Array<CheckAnswer | Error | undefined> = new Array(items.length);
  planned.forEach((item, position) => {
    const outcome = plan.outcomes[position] as ConsumeOutcome;
    const usedAfter = outcome.moved ? outcome.usedAfter : undefined;
    answers[item.index] = toCheckAnswer(
      item.input.feature,
      outcome.decision,
      catalog,
      item.context.planCode,
      usedAfter,
    );
  });
  const settled = keys.settle(answers);
  // Execute.
  const params = writeParameters(planned, plan.outcomes, settled.toStore, now);
  if (params) await session.runAndCommit(CONSUME_WRITE, params);
  return settled.answers;
}

function planConsume(catalog: Catalog, index: number, item: ConsumeItem): PlannedConsume {
  const feature = catalog.feature(item.input.feature);
  if (!feature) throw new Error(`feature ${item.input.feature} vanished from the catalog`);
  const period = counterPeriodAt(feature.reset, item.context, item.now);
  const planFeature = catalog.planFeature(item.context.planCode, item.input.feature);
  const counter = {
    organizationId: item.input.organizationId,
    feature: item.input.feature,
    periodStart: period.start,
    periodEnd: period.end,
    aggregation: feature.aggregation,
  };
  const total = { ...counter, projectId: ORGANIZATION_TOTAL };
  const active = isSubscriptionActive(item.context.status);
  return {
    ...item,
    index,
    total,
    project: item.input.projectId === undefined ? null : { ...counter, projectId: item.input.projectId },
    movable: typeof planFeature === 'object' && active,
    request: {
      counter: counterKey(total),
      quantity: item.input.quantity,
      planFeature,
      subscriptionActive: active,
      defaultGracePercent: catalog.definition.metering.default_grace_percent,
      alertThresholds: catalog.definition.metering.alert_thresholds,
    },
  };
}

/**
 * The usage of every organization counter in the batch: locked (and created at zero) when some
 * consume may move it, only read otherwise. Project counters are only added to, so they need no
 * read; their organization's lock covers them.
 */
async function readUsage(
  session: StatementSession,
  planned: readonly PlannedConsume[],
  now: Date,
): Promise<Map<string, Decimal>> {
  const toLock = new Map<string, LockableCounter>();
  const toRead = new Map<string, LockableCounter>();
  for (const item of planned) (item.movable ? toLock : toRead).set(item.request.counter, item.total);
  for (const key of toLock.keys()) toRead.delete(key);
  const used = await lockCounters(session, [...toLock.values()], now);
  for (const [key, value] of await readCounters(session, [...toRead.values()])) used.set(key, value);
  return used;
}

/** A part of the write statement that the batch does not have. */
const NONE = '[]';

/**
 * One statement for every write, so the batch holds its counters' locks for as few round trips as
 * possible: organization counters set to the usage the plan reached, project counters added to, a
 * usage event per moved consume, crossed alerts with their notifications, and the stored answers.
 * Prepared, with one fixed text whatever the batch holds (a part it does not have gets no rows), so
 * that PostgreSQL plans it once per connection rather than on every batch.
 */
const CONSUME_WRITE: PreparedStatement = (() => {
  const alerts = alertTexts('$6', '$1');
  return {
    name: 'tollgate_consume_write_v1',
    text: `with counters_set as (${counterWriteText('set', '$2', '$1')}),
      counters_add as (${counterWriteText('add', '$3', '$1')}),
      events as (${consumedEventsText('$4')}),
      rollups as (${rollupUpsertText('$5')}),
      fired as (${alerts.fired}),
      notified as (${alerts.notify}),
      answers as (${consumeAnswersText('$7')})
    select 1`,
  };
})();

/** The parameters of `CONSUME_WRITE`, or undefined when the batch writes nothing. */
function writeParameters(
  planned: readonly PlannedConsume[],
  outcomes: readonly ConsumeOutcome[],
  answersToStore: readonly StoredAnswer[],
  now: Date,
): string[] | undefined {
  const counterWrites = { set: new Map<string, CounterWrite>(), add: new Map<string, CounterWrite>() };
  const writeCounter = (counter: LockableCounter, mode: 'set' | 'add', value: Decimal, at: Date) => {
    const key = counterKey(counter);
    const prior = counterWrites[mode].get(key);
    const lastEventAt = prior && prior.lastEventAt > at ? prior.lastEventAt : at;
    const next = mode === 'set' ? value : (prior?.value ?? toDecimal(0)).plus(value);
    counterWrites[mode].set(key, { counter, value: next, lastEventAt });
  };
  const moved: PlannedConsume[] = [];
  const crossings: AlertCrossing[] = [];
  planned.forEach((item, position) => {
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
  if (moved.length === 0 && answersToStore.length === 0) return undefined;
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
  return [
    now.toISOString(),
    counterRows('set'),
    counterRows('add'),
    moved.length > 0 ? consumedEventRows(moved) : NONE,
    rollups.length > 0 ? rollupRows(rollups) : NONE,
    crossings.length > 0 ? alertRows(crossings) : NONE,
    answersToStore.length > 0 ? consumeAnswerRows(answersToStore) : NONE,
  ];
}

/** Each allowed consume is also a usage event, so history, audit and recomputation see it. */
function consumedEventRows(items: ReadonlyArray<ConsumeItem>): string {
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
