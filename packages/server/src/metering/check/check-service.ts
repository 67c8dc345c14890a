import type { Catalog } from '@tollgate/core';
import { createBatcher } from '../../db/batcher.js';
import type { DatabaseHandle } from '../../db/client.js';
import type { CheckAnswer } from '../check-answer.js';
import { type ConsumeItem, consumeBatch } from '../consume/consume-batch.js';
import { type ConsumeMemory, createConsumeMemory } from '../consume/consume-memory.js';
import { answerFromMemory, type CheckInput, checkFeature } from './check-feature.js';
import { type CheckState, type CheckStateRequest, loadCheckStatesPrepared } from './check-state.js';
import { type CheckStateCacheOptions, createCheckStateCache } from './check-state-cache.js';

export type CheckService = {
  check(input: CheckInput, now: Date): Promise<CheckAnswer>;
  /** The answer `check` would give, when it is known without any I/O (a repeated check); else undefined. */
  answerFromMemory(input: CheckInput, now: Date): CheckAnswer | undefined;
  /**
   * Tell the checks that this process just committed writes to these organizations' counters
   * (usage) or plans and subscriptions (billing), so its next checks read them again.
   */
  invalidateUsage(organizationIds: Iterable<string>): void;
  invalidateBilling(organizationIds: Iterable<string>): void;
  /** How this process's consume batches went (consume-memory.ts): for metrics and benchmarks. */
  readonly consumeBatches: ConsumeMemory['batches'];
  /** Resolves once every check in flight is answered (graceful shutdown). */
  drain(): Promise<void>;
  close(): Promise<void>;
};

export type CheckServiceOptions = {
  trialPlanExecutions: number;
  /** Concurrent reads of check state (each one query for a whole batch); default 1, so batches grow with the load. */
  maxConcurrentReads?: number;
  /**
   * Concurrent consume transactions (default 2). One organization's consumes never run in two at
   * once, so they grow into one batch instead of queuing on each other's counter locks.
   */
  maxConcurrentConsumes?: number;
  maxBatchSize?: number;
  cache?: CheckStateCacheOptions;
};

/**
 * Checks for the server. On a busy server the database round trip, not the decision, is what each
 * check costs (docs/performance.md), so check states are remembered while nothing they depend on
 * changes (check-state-cache.ts), concurrent checks that must read share one query, and concurrent
 * consumes one transaction, decided on the usage the last one left where this process remembers it
 * (consume-memory.ts). A lone read still goes out at once, at the end of the event-loop turn it
 * arrived in.
 */
export async function createCheckService(
  database: Pick<DatabaseHandle, 'db' | 'queryPrepared' | 'listen' | 'statementTransaction'>,
  catalog: Catalog,
  options: CheckServiceOptions,
): Promise<CheckService> {
  const { db } = database;
  const maxBatchSize = options.maxBatchSize ?? 500;
  const states = createBatcher<CheckStateRequest, CheckState | undefined>({
    run: (requests) => loadCheckStatesPrepared(database, requests, catalog.defaultPlanCode),
    maxBatchSize,
    maxConcurrentBatches: options.maxConcurrentReads ?? 1,
  });
  const cache = await createCheckStateCache(database, states.submit, options.cache);
  const memory = createConsumeMemory();
  const consumes = createBatcher<ConsumeItem, CheckAnswer>({
    async run(items) {
      try {
        return await consumeBatch(db, catalog, items, database.statementTransaction, memory);
      } finally {
        cache.invalidateUsage(items.map((item) => item.input.organizationId));
      }
    },
    maxBatchSize,
    maxConcurrentBatches: options.maxConcurrentConsumes ?? 2,
    keyOf: (item) => item.input.organizationId,
  });
  return {
    check: (input, now) =>
      checkFeature(db, catalog, input, now, {
        trialPlanExecutions: options.trialPlanExecutions,
        loadState: cache.get,
        loadBilling: cache.getBilling,
        consume: consumes.submit,
      }),
    answerFromMemory(input, now) {
      const feature = catalog.feature(input.feature);
      if (input.consume || feature?.kind !== 'metered') return undefined;
      const state = cache.peek({
        organizationId: input.organizationId,
        feature: { code: input.feature, reset: feature.reset },
        now,
      });
      return state && answerFromMemory(state, input);
    },
    invalidateUsage(organizationIds) {
      const ids = [...organizationIds];
      cache.invalidateUsage(ids);
      memory.forget(ids);
    },
    invalidateBilling: cache.invalidateBilling,
    consumeBatches: memory.batches,
    async drain() {
      await Promise.all([states.drain(), consumes.drain()]);
    },
    close: cache.close,
  };
}
