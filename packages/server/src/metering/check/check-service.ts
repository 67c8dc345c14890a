import type { Catalog } from '@tollgate/core';
import { createBatcher } from '../../db/batcher.js';
import type { DatabaseHandle } from '../../db/client.js';
import type { MeteringCaches } from '../caches.js';
import type { UpgradeLinks } from '../check-answer.js';
import { consumeBatch } from '../consume/consume-batch.js';
import type { ConsumeMemory } from '../consume/consume-memory.js';
import type { CheckAnswer, CheckInput, ConsumeItem } from '../types.js';
import { appliesUserTrial, checkFeature } from './check-feature.js';

export type CheckService = {
  check(input: CheckInput, now: Date): Promise<CheckAnswer>;
  /** The answer `check` would give, when it is known without any I/O (a repeated check); else undefined. */
  answerFromMemory(input: CheckInput, now: Date): CheckAnswer | undefined;
  /**
   * Tell the checks that this process just committed writes to these organizations' plans and
   * subscriptions, so its next checks read them again (ingestion reports its counter writes through
   * `caches.beginUsageWrite`).
   */
  invalidateBilling(organizationIds: Iterable<string>): void;
  /** How this process's consume batches went (consume-memory.ts): for metrics and benchmarks. */
  readonly consumeBatches: ConsumeMemory['batches'];
  /** Resolves once every check in flight is answered (graceful shutdown). */
  drain(): Promise<void>;
};

export type CheckServiceOptions = {
  trialPlanExecutions: number;
  upgradeLinks: UpgradeLinks;
  /**
   * Concurrent consume transactions (default 2). One organization's consumes never run in two at
   * once, so they grow into one batch instead of queuing on each other's counter locks.
   */
  maxConcurrentConsumes?: number;
  maxBatchSize?: number;
};

/**
 * Checks for the server. On a busy server the database round trip, not the decision, is what each
 * check costs (docs/performance.md), so check states are remembered while nothing they depend on
 * changes (`caches.checkStates`), concurrent checks that must read share one query, and concurrent
 * consumes one transaction, decided on the usage the last one left where this process remembers it
 * (`caches.consumeUsage`). A lone read still goes out at once, at the end of the event-loop turn it
 * arrived in.
 */
export function createCheckService(
  database: Pick<DatabaseHandle, 'db' | 'statementTransaction'>,
  catalog: Catalog,
  caches: MeteringCaches,
  options: CheckServiceOptions,
): CheckService {
  const { db } = database;
  const { checkStates, checkAnswers, consumeUsage } = caches;
  const consumes = createBatcher<ConsumeItem, CheckAnswer>({
    async run(items) {
      try {
        return await consumeBatch(
          db,
          catalog,
          options.upgradeLinks,
          items,
          database.statementTransaction,
          consumeUsage,
        );
      } finally {
        checkStates.invalidateUsage(items.map((item) => item.input.organizationId));
      }
    },
    maxBatchSize: options.maxBatchSize ?? 500,
    maxConcurrentBatches: options.maxConcurrentConsumes ?? 2,
    keyOf: (item) => item.input.organizationId,
  });
  return {
    check: (input, now) =>
      checkFeature(db, catalog, input, now, {
        trialPlanExecutions: options.trialPlanExecutions,
        upgradeLinks: options.upgradeLinks,
        loadState: checkStates.get,
        loadBilling: checkStates.getBilling,
        consume: consumes.submit,
        answers: checkAnswers,
      }),
    answerFromMemory(input, now) {
      const feature = catalog.feature(input.feature);
      if (input.consume || feature?.kind !== 'metered') return undefined;
      const state = checkStates.peek({
        organizationId: input.organizationId,
        feature: { code: input.feature, reset: feature.reset },
        now,
      });
      if (!state || appliesUserTrial(state, input)) return undefined;
      return checkAnswers.get(state, input);
    },
    invalidateBilling: caches.invalidateBilling,
    consumeBatches: consumeUsage.batches,
    async drain() {
      await Promise.all([caches.drain(), consumes.drain()]);
    },
  };
}
