/**
 * The ingest worker's thread (ingest-worker-thread.ts starts it): POST /v1/events's validation and
 * storage, with a database pool of its own, so that neither its work nor its garbage collections hold
 * up the checks answered on the request thread. It runs the same ingest queue as the request thread
 * does without it, and tells that thread what each transaction committed, for the counters its checks
 * remember.
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { Catalog } from '@tollgate/core';
import { catalogWithPlanVersions } from '../../catalog/record-catalog-version.js';
import { createCreditEventDebitor } from '../../credits/event-debits.js';
import { type DatabaseHandle, openDatabase } from '../../db/client.js';
import { type BillingMemory, createBillingMemory } from './billing-memory.js';
import { createIngestQueue, type EventIngestion, type QueuedUsageWrite } from './ingest-queue.js';
import {
  describeFailure,
  encodeDelta,
  type FromWorker,
  type IngestWorkerSetup,
  type ToWorker,
} from './ingest-worker-messages.js';
import { StoredUniqueKeys } from './stored-unique-keys.js';
import { lowerThreadPriority, type ThreadPriority } from './thread-priority.js';

if (!parentPort) throw new Error('ingest-worker.js runs as a worker thread (ingest-worker-thread.ts)');
const port: MessagePort = parentPort;
const send = (message: FromWorker) => port.postMessage(message);
/** Counter writes asked of the request thread, each waiting for its `begun`. */
const begun = new Map<number, () => void>();

async function start(setup: IngestWorkerSetup) {
  const database = await openDatabase({
    databaseUrl: setup.databaseUrl,
    poolSize: setup.poolSize,
    connectTimeoutMs: setup.connectTimeoutMs,
    statementTimeoutMs: setup.statementTimeoutMs,
  });
  try {
    const given = Catalog.parse(setup.catalogDefinition);
    if (given.hash !== setup.catalogHash) {
      throw new Error(`the catalog reached the ingest worker as ${given.hash}, not ${setup.catalogHash}`);
    }
    const catalog = await catalogWithPlanVersions(database.db, given);
    // The request thread's memory is moved by messages. Its counter write must begin before the
    // transaction does (check-state-cache.ts), so each group waits for `begun`; `committed` is posted
    // before the answers of the requests the transaction stored, so that thread moves its counters first.
    let nextWrite = 1;
    const beginUsageWrite = () => {
      const write = nextWrite;
      nextWrite += 1;
      return new Promise<QueuedUsageWrite>((resolve) => {
        begun.set(write, () =>
          resolve({
            writer: setup.writer,
            committed: (deltas) => send({ type: 'committed', write, deltas: deltas.map(encodeDelta) }),
            uncertain: (organizationIds) =>
              send({ type: 'uncertain', write, organizationIds: [...organizationIds] }),
            end: () => send({ type: 'ended', write }),
          }),
        );
        send({ type: 'begin', write });
      });
    };
    const billing = await createBillingMemory(database);
    const queue = createIngestQueue(database.db, {
      catalog,
      window: setup.eventWindow,
      debitCreditsForEvent: createCreditEventDebitor({ catalog }),
      storedUniqueKeys: StoredUniqueKeys.remembering(setup.uniqueKeysRemembered),
      usageWrites: { beginUsageWrite },
      billingStates: billing,
    });
    return { database, queue, billing };
  } catch (error) {
    await database.close();
    throw error;
  }
}

async function serve(
  database: DatabaseHandle,
  queue: EventIngestion,
  billing: BillingMemory,
  priority: ThreadPriority,
) {
  port.on('message', (message: ToWorker) => {
    if (message.type === 'billing_changed') {
      billing.forget(message.organizationIds);
      return;
    }
    if (message.type === 'begun') {
      const start = begun.get(message.write);
      begun.delete(message.write);
      start?.();
      return;
    }
    if (message.type === 'ingest') {
      queue.ingest(message.events, message.now).then(
        (result) => send({ type: 'answer', id: message.id, result }),
        (error: unknown) => send({ type: 'failure', id: message.id, failure: describeFailure(error) }),
      );
      return;
    }
    queue
      .drain()
      .then(() => billing.close().catch(() => undefined))
      .then(() => database.close())
      .finally(() => {
        send({ type: 'closed' });
        port.close();
      });
  });
  send({ type: 'ready', priority });
}

const setup = workerData as IngestWorkerSetup;
// Before anything else runs here, so that from the first batch on, a check that needs a busy core gets
// it before this thread's batches do (decision 22).
const priority = lowerThreadPriority(setup.nice);
start(setup).then(
  ({ database, queue, billing }) => serve(database, queue, billing, priority),
  (error: unknown) => {
    send({ type: 'failed_to_start', failure: describeFailure(error) });
    port.close();
  },
);
