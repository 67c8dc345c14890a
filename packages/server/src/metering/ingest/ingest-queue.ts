import { createBatcher } from '../../db/batcher.js';
import type { DbOrTx } from '../../db/transaction.js';
import type { UsageWrite } from '../check/check-state-cache.js';
import {
  type BillingStates,
  type IngestOptions,
  type IngestResult,
  type PreparedBatch,
  prepareBatch,
  type StoreOptions,
  storeBatches,
} from './ingest-events.js';

export type IngestQueueOptions = Omit<IngestOptions, 'now'> & {
  /** Transactions this process runs at once; requests arriving meanwhile wait and go together. */
  concurrentTransactions?: number;
  /** Events one transaction takes at most, so a statement stays a few hundred kilobytes. */
  maxEventsPerTransaction?: number;
  /**
   * What this process remembers of counters (metering/caches.ts): each group's transactions tell it
   * what they committed. Without it nothing is told; the triggers' notifications still are.
   */
  usageWrites?: { beginUsageWrite(): QueuedUsageWrite | Promise<QueuedUsageWrite> };
  /** Billing states this process's checks remember, used instead of reading them again. */
  billingStates?: BillingStates;
};

/** A counter write for one group's transactions; `end` is told when they are all over. */
export type QueuedUsageWrite = UsageWrite & { end?(): void };

/**
 * POST /v1/events's ingestion, chosen in the composition root: in the request thread (the queue below)
 * or in a worker thread (ingest-worker-thread.ts).
 */
export type EventIngestion = {
  /** Where events are stored, in words for the start banner. */
  readonly placement: string;
  ingest(rawEvents: unknown[], now: Date): Promise<IngestResult>;
  /** Resolves when every request handed over has been answered. */
  drain(): Promise<void>;
  /** Answers what was handed over, then lets go of what it holds. */
  close(): Promise<void>;
};

/**
 * Ingestion for one database, with concurrent requests coalesced (db/batcher.ts). Every batch
 * moves the same hot counter rows, so concurrent ingest transactions mostly queue on each other's
 * row locks, and each pays its own subscription read, counter upsert and commit. Here at most
 * `concurrentTransactions` run at a time; the requests that arrive meanwhile are stored together in
 * the next transaction, answered per request as if stored one after another.
 */
export function createIngestQueue(db: DbOrTx, options: IngestQueueOptions): EventIngestion {
  const groups = createBatcher<PreparedBatch, IngestResult>({
    run: async (batches) => {
      const usageWrite = await options.usageWrites?.beginUsageWrite();
      try {
        return await storeTogether(db, batches, { ...options, usageWrite });
      } finally {
        usageWrite?.end?.();
      }
    },
    maxBatchSize: Number.POSITIVE_INFINITY,
    maxConcurrentBatches: options.concurrentTransactions ?? 2,
    weigh: (batch) => batch.candidates.length,
    maxBatchWeight: options.maxEventsPerTransaction ?? 5000,
  });
  return {
    placement: 'the request thread',
    ingest(rawEvents: unknown[], now: Date): Promise<IngestResult> {
      const batch = prepareBatch(rawEvents, { ...options, now });
      if (batch.candidates.length === 0) {
        return Promise.resolve({ accepted: 0, duplicates: 0, rejected: batch.rejected });
      }
      return groups.submit(batch);
    },
    drain: groups.drain,
    close: groups.drain,
  };
}

async function storeTogether(
  db: DbOrTx,
  batches: PreparedBatch[],
  options: StoreOptions,
): Promise<Array<IngestResult | Error>> {
  try {
    return await storeBatches(db, batches, options);
  } catch (error) {
    if (batches.length === 1) throw error;
    // The group's transaction rolled back as a whole: one request's fault must not fail the
    // requests it was grouped with, so each runs again alone and gets its own answer.
    const results: Array<IngestResult | Error> = [];
    for (const batch of batches) {
      try {
        const [result] = await storeBatches(db, [batch], options);
        results.push(result as IngestResult);
      } catch (alone) {
        results.push(alone instanceof Error ? alone : new Error(String(alone)));
      }
    }
    return results;
  }
}
