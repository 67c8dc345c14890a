import type { Catalog, EventWindow } from '@tollgate/core';
import { createCreditEventDebitor } from '../../credits/event-debits.js';
import type { DatabaseHandle } from '../../db/client.js';
import type { MeteringCaches } from '../caches.js';
import type { DebitCreditsForEvent } from './credit-events.js';
import { createIngestQueue, type EventIngestion } from './ingest-queue.js';
import { startIngestWorker } from './ingest-worker-thread.js';
import { isRejection, validateEvent } from './validate-events.js';

/** Connections of the ingest worker's own pool: its queue runs two transactions at a time. */
const WORKER_POOL_SIZE = 4;

export type EventIngestionOptions = {
  /** The catalog as given, and as the request thread uses it (with its plan versions). */
  givenCatalog: Catalog;
  catalog: Catalog;
  eventWindow: EventWindow;
  /** A debitor of the embedding application's own: it lives in this thread, so ingestion does too. */
  debitCreditsForEvent?: DebitCreditsForEvent | undefined;
  uniqueKeysRemembered: number;
  /** Whether ingestion runs in a worker thread; by default it does with PostgreSQL (decision 21). */
  inWorker?: boolean | undefined;
  /** The worker thread's niceness (thread-priority.ts). */
  workerNice: number;
  databaseUrl?: string | undefined;
  connectTimeoutMs?: number | undefined;
  statementTimeoutMs?: number | undefined;
};

/**
 * POST /v1/events's ingestion. With PostgreSQL it runs in a worker thread with its own pool, so that
 * a stream of events does not hold up the checks this thread answers; with PGlite, whose database
 * lives in this thread, or with a credit debitor given in code, it runs here.
 */
export async function createEventIngestion(
  database: Pick<DatabaseHandle, 'db' | 'kind'>,
  caches: MeteringCaches,
  options: EventIngestionOptions,
): Promise<EventIngestion> {
  const canUseWorker =
    database.kind === 'postgres' && options.databaseUrl !== undefined && !options.debitCreditsForEvent;
  if (options.inWorker === true && !canUseWorker) {
    throw new Error('ingestion runs in a worker only with PostgreSQL and the built-in credit debitor');
  }
  if ((options.inWorker ?? true) && canUseWorker) {
    return startIngestWorker(
      {
        databaseUrl: options.databaseUrl as string,
        poolSize: WORKER_POOL_SIZE,
        connectTimeoutMs: options.connectTimeoutMs,
        statementTimeoutMs: options.statementTimeoutMs,
        catalogDefinition: options.givenCatalog.definition,
        catalogHash: options.givenCatalog.hash,
        eventWindow: options.eventWindow,
        uniqueKeysRemembered: options.uniqueKeysRemembered,
        nice: options.workerNice,
      },
      caches,
      (event, index, now) => {
        const outcome = validateEvent(event, index, options.catalog, now, options.eventWindow);
        return isRejection(outcome) ? outcome : undefined;
      },
    );
  }
  const { catalog } = options;
  return createIngestQueue(database.db, {
    catalog,
    window: options.eventWindow,
    debitCreditsForEvent: options.debitCreditsForEvent ?? createCreditEventDebitor({ catalog }),
    storedUniqueKeys: caches.storedUniqueKeys,
    usageWrites: caches,
    billingStates: caches,
  });
}
