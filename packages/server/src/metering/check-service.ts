import type { Catalog } from '@tollgate/core';
import { createBatcher } from '../db/batcher.js';
import type { DatabaseHandle } from '../db/client.js';
import type { CheckAnswer } from './check-answer.js';
import { type CheckInput, checkFeature } from './check-feature.js';
import { type CheckState, type CheckStateRequest, loadCheckStatesPrepared } from './check-state.js';
import { type ConsumeItem, consumeBatch } from './consume-batch.js';

export type CheckService = {
  check(input: CheckInput, now: Date): Promise<CheckAnswer>;
  /** Resolves once every check in flight is answered (graceful shutdown). */
  drain(): Promise<void>;
};

export type CheckServiceOptions = {
  trialPlanExecutions: number;
  /** Concurrent reads of check state (each one query for a whole batch); default 1, so batches grow with the load. */
  maxConcurrentReads?: number;
  /** Concurrent consume transactions; default 1, so batches grow under load instead of queuing on locks. */
  maxConcurrentConsumes?: number;
  maxBatchSize?: number;
};

/**
 * Checks for the server: concurrent checks share one query for their state and concurrent
 * consumes one transaction, because on a busy server the database round trip, not the decision,
 * is what each check costs (docs/performance.md). A lone check still goes out at once, at the end
 * of the event-loop turn it arrived in.
 */
export function createCheckService(
  database: Pick<DatabaseHandle, 'db' | 'queryPrepared'>,
  catalog: Catalog,
  options: CheckServiceOptions,
): CheckService {
  const { db } = database;
  const maxBatchSize = options.maxBatchSize ?? 500;
  const states = createBatcher<CheckStateRequest, CheckState | undefined>({
    run: (requests) => loadCheckStatesPrepared(database, requests, catalog.defaultPlanCode),
    maxBatchSize,
    maxConcurrentBatches: options.maxConcurrentReads ?? 1,
  });
  const consumes = createBatcher<ConsumeItem, CheckAnswer>({
    run: (items) => consumeBatch(db, catalog, items),
    maxBatchSize,
    maxConcurrentBatches: options.maxConcurrentConsumes ?? 1,
  });
  return {
    check: (input, now) =>
      checkFeature(db, catalog, input, now, {
        trialPlanExecutions: options.trialPlanExecutions,
        loadState: states.submit,
        consume: consumes.submit,
      }),
    async drain() {
      await Promise.all([states.drain(), consumes.drain()]);
    },
  };
}
