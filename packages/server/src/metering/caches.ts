import type { Catalog } from '@tollgate/core';
import { type Batcher, createBatcher } from '../db/batcher.js';
import type { DatabaseHandle } from '../db/client.js';
import { type CheckAnswers, createCheckAnswers } from './check/check-answers.js';
import {
  type BillingState,
  type CheckState,
  type CheckStateRequest,
  loadCheckStatesPrepared,
} from './check/check-state.js';
import {
  type CheckStateCache,
  type CheckStateCacheOptions,
  createCheckStateCache,
  type UsageWrite,
} from './check/check-state-cache.js';
import { type ConsumeMemory, createConsumeMemory } from './consume/consume-memory.js';
import { DEFAULT_UNIQUE_KEYS_REMEMBERED, StoredUniqueKeys } from './ingest/stored-unique-keys.js';

/**
 * Everything metering remembers between requests in one process, created once in the composition
 * root (tollgate.ts) and handed to the services that read and write it. docs/metering.md
 * ("What a process remembers") says, for each, what it holds, what makes it forget, and what a second
 * process sees.
 */
export type MeteringCaches = {
  /**
   * Billing state per organization and usage counter per organization × feature, as a check reads
   * them; forgotten on NOTIFY from the database's triggers and on this process's own writes, except
   * that this process's ingestion moves the counters by what it committed.
   */
  checkStates: CheckStateCache;
  /** Answers of checks without consume, kept on the remembered state they were decided from. */
  checkAnswers: CheckAnswers;
  /** Counter usage as this process's consumes last locked or wrote it: a guess every write verifies. */
  consumeUsage: ConsumeMemory;
  /** unique_count rows this process saw committed, which ingestion need not send again. */
  storedUniqueKeys: StoredUniqueKeys;
  /**
   * This process just committed writes to these organizations' rows, plans or subscriptions: its
   * next checks read them again rather than wait for the notification.
   */
  invalidateBilling(organizationIds: Iterable<string>): void;
  /**
   * Calls `listener` with the organizations of every `invalidateBilling`, for memory kept outside
   * this object (the ingest worker's billing contexts); returns the unsubscribe.
   */
  onBillingInvalidated(listener: (organizationIds: readonly string[]) => void): () => void;
  /** Forgets every remembered check state: a writer whose outcome is unknown is gone. */
  forgetAll(): void;
  /** An organization's billing state if `checkStates` remembers it, for ingestion. */
  rememberedBilling(organizationId: string): BillingState | undefined;
  /**
   * For an ingest transaction of this process: what it commits moves the remembered counters
   * instead of forgetting them (check-state-cache.ts), and forgets the consumes' guesses.
   */
  beginUsageWrite(): UsageWrite;
  /** Resolves once every read that fills `checkStates` is answered. */
  drain(): Promise<void>;
  close(): Promise<void>;
};

export type MeteringCacheOptions = {
  /** unique_count rows remembered (default 200,000; 0 remembers none). */
  uniqueKeysRemembered?: number | undefined;
  checkStates?: CheckStateCacheOptions;
  /** Concurrent reads of check state (each one query for a whole batch); default 1, so batches grow with the load. */
  maxConcurrentReads?: number;
  maxBatchSize?: number;
};

export async function createMeteringCaches(
  database: Pick<DatabaseHandle, 'queryPrepared' | 'listen'>,
  catalog: Catalog,
  options: MeteringCacheOptions = {},
): Promise<MeteringCaches> {
  // Concurrent checks that must read share one query; what it answers fills `checkStates`.
  const reads: Batcher<CheckStateRequest, CheckState | undefined> = createBatcher({
    run: (requests) => loadCheckStatesPrepared(database, requests, catalog),
    maxBatchSize: options.maxBatchSize ?? 500,
    maxConcurrentBatches: options.maxConcurrentReads ?? 1,
  });
  const checkStates = await createCheckStateCache(database, reads.submit, options.checkStates);
  const consumeUsage = createConsumeMemory();
  const billingListeners = new Set<(organizationIds: readonly string[]) => void>();
  return {
    checkStates,
    checkAnswers: createCheckAnswers(),
    consumeUsage,
    storedUniqueKeys: StoredUniqueKeys.remembering(
      options.uniqueKeysRemembered ?? DEFAULT_UNIQUE_KEYS_REMEMBERED,
    ),
    invalidateBilling(organizationIds) {
      const ids = [...organizationIds];
      checkStates.invalidateBilling(ids);
      for (const listener of billingListeners) listener(ids);
    },
    onBillingInvalidated(listener) {
      billingListeners.add(listener);
      return () => billingListeners.delete(listener);
    },
    forgetAll: checkStates.forgetAll,
    rememberedBilling: checkStates.rememberedBilling,
    beginUsageWrite() {
      const write = checkStates.beginUsageWrite();
      return {
        writer: write.writer,
        committed(deltas) {
          write.committed(deltas);
          consumeUsage.forget(deltas.map((delta) => delta.organizationId));
        },
        uncertain(organizationIds) {
          const ids = [...organizationIds];
          write.uncertain(ids);
          consumeUsage.forget(ids);
        },
      };
    },
    drain: reads.drain,
    close: checkStates.close,
  };
}
