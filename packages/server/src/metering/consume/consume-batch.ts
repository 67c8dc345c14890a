import {
  type Catalog,
  type ConsumeOutcome,
  type ConsumePlan,
  type ConsumeRequest,
  counterPeriodAt,
  type Decimal,
  isConsumable,
  isSubscriptionActive,
  planConsumes,
} from '@tollgate/core';
import { PgTransaction } from 'drizzle-orm/pg-core';
import { valuesOf } from '../../db/named-statement.js';
import { RETRYABLE_CODES, retryTransaction, sqlStateOf } from '../../db/retry.js';
import {
  type StatementSession,
  type StatementTransactionRunner,
  withStatementTransaction,
} from '../../db/statement-transaction.js';
import type { DbOrTx } from '../../db/transaction.js';
import { toCheckAnswer, type UpgradeLinks } from '../check-answer.js';
import {
  counterKey,
  expectedUsageRows,
  type LockableCounter,
  lockCounters,
  ORGANIZATION_TOTAL,
  readCounters,
} from '../tables/usage-counters.js';
import type { CheckAnswer, ConsumeItem } from '../types.js';
import { claimConsumeKeys, consumeAnswerRows, consumeKeyOf, type StoredAnswer } from './consume-keys.js';
import type { ConsumeMemory } from './consume-memory.js';
import { CONSUME_FROM_MEMORY, CONSUME_WRITE, consumeWriteRows } from './consume-writes.js';

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

/** How `tollgate_require` (migration 0006) fails a statement: what it checked no longer holds. */
const CHANGED_SINCE_READ = 'TG409';

/**
 * Consumes a batch of checks atomically; each item is answered as if it had arrived alone, and no
 * interleaving with other batches or processes can pass a limit. An item's own fault (a reused
 * idempotency key) is its Error alone.
 *
 * With `memory` (consume-memory.ts) and no outer transaction, a batch whose counters this process
 * remembers is decided on that usage and written in one statement that is its own transaction
 * (`CONSUME_FROM_MEMORY`: one round trip), which writes only if every counter still holds the usage
 * decided on and every idempotency key is new. Otherwise, or when that statement finds something
 * changed, the batch is decided under lock (`consumeUnderLock`).
 */
export async function consumeBatch(
  db: DbOrTx,
  catalog: Catalog,
  upgradeLinks: UpgradeLinks,
  items: readonly ConsumeItem[],
  statementTransaction?: StatementTransactionRunner,
  memory?: ConsumeMemory,
): Promise<Array<CheckAnswer | Error>> {
  if (items.length === 0) return [];
  if (memory && !(db instanceof PgTransaction)) {
    const answers = await consumeFromMemory(db, catalog, upgradeLinks, items, memory, statementTransaction);
    if (answers) return answers;
  }
  if (memory) memory.batches.underLock += 1;
  return retryTransaction(() =>
    withStatementTransaction(db, statementTransaction, (session) =>
      consumeUnderLock(session, catalog, upgradeLinks, items, memory),
    ),
  );
}

/** The batch's time: its latest item's. */
function batchTime(items: readonly ConsumeItem[]): Date {
  return items.reduce(
    (latest, item) => (item.now > latest ? item.now : latest),
    (items[0] as ConsumeItem).now,
  );
}

function answersOf(
  upgradeLinks: UpgradeLinks,
  planned: readonly PlannedConsume[],
  plan: ConsumePlan,
): Map<number, CheckAnswer> {
  const answers = new Map<number, CheckAnswer>();
  planned.forEach((item, position) => {
    const outcome = plan.outcomes[position] as ConsumeOutcome;
    const usedAfter = outcome.moved ? outcome.usedAfter : undefined;
    answers.set(
      item.index,
      toCheckAnswer(item.input.feature, outcome.decision, upgradeLinks, item.context.planCode, usedAfter),
    );
  });
  return answers;
}

/** Remembers the usage each counter the batch read reached (decided under lock, or committed). */
function rememberUsage(
  memory: ConsumeMemory | undefined,
  planned: readonly PlannedConsume[],
  used: ReadonlyMap<string, Decimal>,
  plan: ConsumePlan,
): void {
  if (!memory) return;
  for (const item of planned) {
    const key = item.request.counter;
    const reached = plan.movedCounters.get(key) ?? used.get(key);
    if (reached !== undefined) memory.remember(item.input.organizationId, item.input.feature, key, reached);
  }
}

/**
 * The one-statement path. Undefined when it does not apply (a counter not remembered, an idempotency
 * key twice in the batch) or when the statement found a counter or a key changed since it was read:
 * then nothing was written, and the caller decides the batch under lock.
 */
async function consumeFromMemory(
  db: DbOrTx,
  catalog: Catalog,
  upgradeLinks: UpgradeLinks,
  items: readonly ConsumeItem[],
  memory: ConsumeMemory,
  statementTransaction: StatementTransactionRunner | undefined,
): Promise<Array<CheckAnswer | Error> | undefined> {
  const keys = new Set<string>();
  for (const { input } of items) {
    if (input.idempotencyKey === undefined) continue;
    const key = consumeKeyOf(input);
    if (keys.has(key)) return undefined;
    keys.add(key);
  }
  // Setup: every counter the decisions read must be remembered.
  const planned = items.map((item, index) => planConsume(catalog, index, item));
  const used = new Map<string, Decimal>();
  const expected: Array<{ counter: LockableCounter; used: Decimal }> = [];
  for (const item of planned) {
    const key = item.request.counter;
    if (used.has(key)) continue;
    const known = memory.usage(item.input.organizationId, item.input.feature, key);
    if (known === undefined) return undefined;
    used.set(key, known);
    expected.push({ counter: item.total, used: known });
  }
  // Compute.
  const plan = planConsumes(
    planned.map((item) => item.request),
    used,
  );
  const answers = answersOf(upgradeLinks, planned, plan);
  const now = batchTime(items);
  const toStore: StoredAnswer[] = planned
    .filter((item) => item.input.idempotencyKey !== undefined)
    .map((item) => ({ input: item.input, now: item.now, answer: answers.get(item.index) as CheckAnswer }));
  // Execute, in one statement that checks what the decisions read.
  const writes = consumeWriteRows(planned, plan.outcomes);
  try {
    await withStatementTransaction(db, statementTransaction, (session) =>
      session.runAndCommit(
        CONSUME_FROM_MEMORY,
        valuesOf(CONSUME_FROM_MEMORY, {
          now: now.toISOString(),
          ...writes.rows,
          answers: consumeAnswerRows(toStore),
          expectedUsage: expectedUsageRows(expected),
          expectedCount: String(expected.length),
          answerCount: String(toStore.length),
        }),
      ),
    );
  } catch (error) {
    const code = sqlStateOf(error);
    if (code === CHANGED_SINCE_READ || (code !== undefined && RETRYABLE_CODES.has(code))) {
      memory.batches.changed += 1;
      return undefined;
    }
    throw error;
  }
  memory.batches.fromMemory += 1;
  rememberUsage(memory, planned, used, plan);
  return planned.map((item) => answers.get(item.index) as CheckAnswer);
}

/**
 * Decides a batch in one transaction: claim idempotency keys, lock every organization counter the
 * batch may move (in key order, so concurrent batches and ingestion cannot deadlock), decide all
 * consumes in order in pure code (`planConsumes`), then write the counters, the usage events, the
 * crossed alerts and the stored answers in one statement. The counters stay locked from the read to
 * the commit. With `statementTransaction` (PostgreSQL) and no outer transaction, that is two round
 * trips: BEGIN with the lock, the write with COMMIT.
 */
async function consumeUnderLock(
  session: StatementSession,
  catalog: Catalog,
  upgradeLinks: UpgradeLinks,
  items: readonly ConsumeItem[],
  memory: ConsumeMemory | undefined,
): Promise<Array<CheckAnswer | Error>> {
  const now = batchTime(items);
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
  const decided = answersOf(upgradeLinks, planned, plan);
  const answers: Array<CheckAnswer | Error | undefined> = items.map((_, index) => decided.get(index));
  const settled = keys.settle(answers);
  // Execute.
  const writes = consumeWriteRows(planned, plan.outcomes);
  if (writes.moved || settled.toStore.length > 0) {
    await session.runAndCommit(
      CONSUME_WRITE,
      valuesOf(CONSUME_WRITE, {
        now: now.toISOString(),
        ...writes.rows,
        answers: consumeAnswerRows(settled.toStore),
      }),
    );
  }
  rememberUsage(memory, planned, used, plan);
  return settled.answers;
}

function planConsume(catalog: Catalog, index: number, item: ConsumeItem): PlannedConsume {
  const feature = catalog.feature(item.input.feature);
  if (!feature) throw new Error(`feature ${item.input.feature} vanished from the catalog`);
  // checkFeature refuses consumes of unique_count features before they reach a batch.
  const { aggregation } = feature;
  if (!isConsumable(aggregation)) throw new Error(`feature ${item.input.feature} cannot be consumed`);
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
      aggregation,
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
