import type { DbOrTx } from '../db/transaction.js';
import {
  type IngestOptions,
  type IngestResult,
  type PreparedBatch,
  prepareBatch,
  storeBatches,
} from './ingest-events.js';

export type IngestQueueOptions = Omit<IngestOptions, 'now'> & {
  /** Transactions this process runs at once; requests arriving meanwhile wait and go together. */
  concurrentTransactions?: number;
  /** Events one transaction takes at most, so a statement stays a few hundred kilobytes. */
  maxEventsPerTransaction?: number;
};

type Waiting = {
  batch: PreparedBatch;
  resolve: (result: IngestResult) => void;
  reject: (error: unknown) => void;
};

/**
 * Ingestion for one database, with concurrent requests coalesced. Every batch moves the same hot
 * counter rows, so concurrent ingest transactions mostly queue on each other's row locks, and each
 * pays its own subscription read, counter upsert and commit. Here at most `concurrentTransactions`
 * run at a time; the requests that arrive meanwhile are stored together in the next transaction,
 * answered per request as if stored one after another. Alone, a request starts at once.
 */
export function createIngestQueue(db: DbOrTx, options: IngestQueueOptions) {
  const concurrentTransactions = options.concurrentTransactions ?? 2;
  const maxEvents = options.maxEventsPerTransaction ?? 5000;
  const waiting: Waiting[] = [];
  let running = 0;

  function takeGroup(): Waiting[] {
    const group: Waiting[] = [];
    let events = 0;
    for (let next = waiting[0]; next !== undefined; next = waiting[0]) {
      if (group.length > 0 && events + next.batch.candidates.length > maxEvents) break;
      events += next.batch.candidates.length;
      group.push(next);
      waiting.shift();
    }
    return group;
  }

  async function store(group: Waiting[]) {
    try {
      const results = await storeBatches(
        db,
        group.map((entry) => entry.batch),
        options,
      );
      for (const [index, entry] of group.entries()) entry.resolve(results[index] as IngestResult);
    } catch (error) {
      if (group.length === 1) {
        group[0]?.reject(error);
        return;
      }
      // The group's transaction rolled back as a whole: one request's fault must not fail the
      // requests it was grouped with, so each runs again alone and gets its own answer.
      for (const entry of group) {
        try {
          const [result] = await storeBatches(db, [entry.batch], options);
          entry.resolve(result as IngestResult);
        } catch (alone) {
          entry.reject(alone);
        }
      }
    }
  }

  function pump() {
    while (running < concurrentTransactions && waiting.length > 0) {
      running += 1;
      void store(takeGroup()).finally(() => {
        running -= 1;
        pump();
      });
    }
  }

  return {
    ingest(rawEvents: unknown[], now: Date): Promise<IngestResult> {
      const batch = prepareBatch(rawEvents, { ...options, now });
      if (batch.candidates.length === 0) {
        return Promise.resolve({ accepted: 0, duplicates: 0, rejected: batch.rejected });
      }
      return new Promise((resolve, reject) => {
        waiting.push({ batch, resolve, reject });
        pump();
      });
    },
  };
}
