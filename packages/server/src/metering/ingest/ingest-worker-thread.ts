import { Worker } from 'node:worker_threads';
import { AppError } from '../../errors.js';
import type { MeteringCaches } from '../caches.js';
import type { UsageWrite } from '../check/check-state-cache.js';
import type { IngestResult } from './ingest-events.js';
import type { EventIngestion } from './ingest-queue.js';
import {
  decodeDelta,
  errorOf,
  type FromWorker,
  type IngestWorkerSetup,
  type ToWorker,
} from './ingest-worker-messages.js';
import { describeThreadPriority, type ThreadPriority } from './thread-priority.js';
import type { Rejection } from './validate-events.js';

/**
 * The worker's script. Tests run this module from its TypeScript source, which a worker thread cannot
 * load; the test command builds first, so they start the built script, as production does.
 */
const WORKER_SCRIPT = new URL(
  import.meta.url.endsWith('.ts') ? '../../../dist/metering/ingest/ingest-worker.js' : './ingest-worker.js',
  import.meta.url,
);

type InFlight = {
  resolve: (result: IngestResult) => void;
  reject: (error: unknown) => void;
};

/**
 * Ingestion in a worker thread (ingest-worker.ts), for PostgreSQL: the request thread only hands each
 * request's events over and moves the counters its checks remember by what the worker reports
 * committed (decision 21). A worker that stops answers every request in flight with 503
 * `ingestion_unavailable`, and so does every later request, and what the checks remember is forgotten.
 */
export async function startIngestWorker(
  setup: Omit<IngestWorkerSetup, 'writer'>,
  usageWrites: Pick<MeteringCaches, 'beginUsageWrite' | 'forgetAll' | 'onBillingInvalidated'>,
  /** How the worker rejects an event (validate-events.ts), for events too deep to hand over. */
  rejectionOf: (event: unknown, index: number, now: Date) => Rejection | undefined,
): Promise<EventIngestion> {
  const worker = new Worker(WORKER_SCRIPT, {
    execArgv: workerExecArgv(process.execArgv),
    workerData: { ...setup, writer: usageWrites.beginUsageWrite().writer } satisfies IngestWorkerSetup,
  });
  const inFlight = new Map<number, InFlight>();
  let nextId = 1;
  let stopped: Error | undefined;
  let idle: Array<() => void> = [];
  const settleIdle = () => {
    if (inFlight.size > 0) return;
    for (const resolve of idle) resolve();
    idle = [];
  };
  const send = (message: ToWorker) => worker.postMessage(message);

  // The worker's counter writes, each begun here when its transaction was about to start.
  const writes = new Map<number, UsageWrite>();

  // This process's own billing changes reach the worker before any request sent after them, where
  // the notification might come later (billing-memory.ts).
  const stopForwardingBilling = usageWrites.onBillingInvalidated((organizationIds) => {
    if (!stopped) send({ type: 'billing_changed', organizationIds });
  });
  const stop = (reason: Error) => {
    stopForwardingBilling();
    stopped ??= reason;
    const pending = [...inFlight.values()];
    inFlight.clear();
    // Which organizations its unfinished transactions moved is not known here (their events are not
    // kept), and it stopped rarely enough that reading everything again is the simple right answer.
    if (writes.size > 0 || pending.length > 0) usageWrites.forgetAll();
    writes.clear();
    for (const request of pending) request.reject(unavailable());
    settleIdle();
  };
  const unavailable = () =>
    new AppError('ingestion_unavailable', 503, 'event ingestion is not running; retry the request');

  let closed: (() => void) | undefined;
  const ready = new Promise<ThreadPriority>((resolve, reject) => {
    worker.on('message', (message: FromWorker) => {
      switch (message.type) {
        case 'ready':
          resolve(message.priority);
          return;
        case 'failed_to_start':
          reject(errorOf(message.failure));
          return;
        case 'begin':
          writes.set(message.write, usageWrites.beginUsageWrite());
          send({ type: 'begun', write: message.write });
          return;
        case 'committed': {
          const deltas = message.deltas.map(decodeDelta);
          const write = writes.get(message.write);
          // Never without its write; were it so, reading again is what is always right.
          if (write) write.committed(deltas);
          else usageWrites.beginUsageWrite().uncertain(deltas.map((delta) => delta.organizationId));
          return;
        }
        case 'uncertain':
          (writes.get(message.write) ?? usageWrites.beginUsageWrite()).uncertain(message.organizationIds);
          return;
        case 'ended':
          writes.delete(message.write);
          return;
        case 'answer':
        case 'failure': {
          const request = inFlight.get(message.id);
          if (!request) return;
          inFlight.delete(message.id);
          if (message.type === 'answer') request.resolve(message.result);
          else request.reject(errorOf(message.failure));
          settleIdle();
          return;
        }
        case 'closed':
          closed?.();
      }
    });
    worker.on('error', (error) => {
      reject(error);
      stop(error);
    });
    worker.on('exit', (exitCode) => {
      const error = new Error(`the ingest worker exited with code ${exitCode}`);
      reject(error);
      stop(error);
      closed?.();
    });
  });
  const priority = await ready;

  return {
    placement: `a worker thread, ${describeThreadPriority(priority)}`,
    ingest(events, now) {
      if (stopped) return Promise.reject(unavailable());
      const id = nextId;
      nextId += 1;
      return new Promise<IngestResult>((resolve, reject) => {
        inFlight.set(id, { resolve, reject });
        try {
          send({ type: 'ingest', id, events, now });
        } catch (error) {
          // Copying recurses per level of nesting: an event nested thousands deep (hostile, and
          // rejected anyway) is rejected here as the worker would, and the others are handed over.
          if (!(error instanceof RangeError)) {
            inFlight.delete(id);
            reject(error);
            settleIdle();
            return;
          }
          const tooDeep = new Map<number, Rejection | undefined>();
          const sendable = events.map((event, index) => {
            if (nestingAtMost(event, HANDED_OVER_DEPTH)) return event;
            tooDeep.set(index, rejectionOf(event, index, now));
            return null;
          });
          inFlight.set(id, { resolve: (result) => resolve(withRejections(result, tooDeep)), reject });
          send({ type: 'ingest', id, events: sendable, now });
        }
      });
    },
    drain() {
      if (inFlight.size === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idle.push(resolve));
    },
    async close() {
      if (stopped) return;
      await new Promise<void>((resolve) => {
        closed = resolve;
        send({ type: 'close' });
      });
      stop(new Error('the ingest worker was closed'));
      await worker.terminate();
    },
  };
}

/** Far deeper than any event the worker accepts (event-text.ts), far shallower than the stack allows. */
const HANDED_OVER_DEPTH = 256;

/** Whether `value` nests objects at most `limit` deep, walked with an explicit stack. */
function nestingAtMost(value: unknown, limit: number): boolean {
  const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (pending.length > 0) {
    const next = pending.pop() as { value: unknown; depth: number };
    if (next.value === null || typeof next.value !== 'object') continue;
    if (next.depth >= limit) return false;
    for (const entry of Object.values(next.value)) pending.push({ value: entry, depth: next.depth + 1 });
  }
  return true;
}

/** The worker's answer with the rejections made here in place of the placeholders it rejected. */
function withRejections(
  result: IngestResult,
  made: ReadonlyMap<number, Rejection | undefined>,
): IngestResult {
  const rejected = result.rejected.map((rejection) => made.get(rejection.index) ?? rejection);
  return { ...result, rejected };
}

/**
 * The worker's node flags. By default a worker inherits this thread's flags, V8 flags such as
 * `--max-old-space-size` included; given explicitly, V8 and process-wide flags are refused
 * (ERR_WORKER_INVALID_EXEC_ARGV) and the server would not start. So they are given only to drop the
 * export conditions, which under the test runner resolve our packages to their TypeScript sources,
 * which the worker's plain node cannot load; there the other flags are the runner's own.
 */
export function workerExecArgv(flags: readonly string[]): string[] | undefined {
  const kept: string[] = [];
  for (let index = 0; index < flags.length; index += 1) {
    const flag = flags[index] as string;
    if (flag === '--conditions' || flag === '-C') index += 1;
    else if (!flag.startsWith('--conditions=')) kept.push(flag);
  }
  return kept.length === flags.length ? undefined : kept;
}
