import { type Aggregation, type EventWindow, toDecimal } from '@tollgate/core';
import { AppError } from '../../errors.js';
import type { CounterDelta } from '../tables/usage-counters.js';
import type { IngestResult } from './ingest-events.js';
import type { ThreadPriority } from './thread-priority.js';

/**
 * What the request thread and the ingest worker (ingest-worker.ts) say to each other. Messages are
 * structured-cloned, which keeps plain data, dates included, but not classes: decimals travel as
 * text and errors as the fields the error handler reads.
 */
export type IngestWorkerSetup = {
  databaseUrl: string;
  poolSize: number;
  connectTimeoutMs?: number | undefined;
  statementTimeoutMs?: number | undefined;
  /** The catalog as given to Tollgate; the worker adds the plan versions from the database, as the request thread did. */
  catalogDefinition: unknown;
  /** Checked by the worker against the catalog it builds: both threads must decide with the same one. */
  catalogHash: string;
  eventWindow: EventWindow;
  uniqueKeysRemembered: number;
  /** The request thread's counter writer name (check-state-cache.ts), which the worker's transactions announce. */
  writer: string;
  /** The worker thread's niceness (thread-priority.ts): checks, on the request thread, go first. */
  nice: number;
};

export type ToWorker =
  | { type: 'ingest'; id: number; events: unknown[]; now: Date }
  /** The request thread has begun counter write `write` (check-state-cache.ts): its transaction may start. */
  | { type: 'begun'; write: number }
  /**
   * The request thread committed billing changes of these organizations: the worker forgets their
   * contexts before it takes any later request (messages arrive in order).
   */
  | { type: 'billing_changed'; organizationIds: readonly string[] }
  | { type: 'close' };

export type FromWorker =
  | { type: 'ready'; priority: ThreadPriority }
  | { type: 'failed_to_start'; failure: IngestFailure }
  | { type: 'answer'; id: number; result: IngestResult }
  | { type: 'failure'; id: number; failure: IngestFailure }
  /** A transaction is about to start: the request thread begins a counter write for it and says `begun`. */
  | { type: 'begin'; write: number }
  /** Write `write` committed these counter deltas; sent before the answers of its requests. */
  | { type: 'committed'; write: number; deltas: EncodedDelta[] }
  /** Write `write`'s outcome is unknown: these organizations' counters must be read again. */
  | { type: 'uncertain'; write: number; organizationIds: string[] }
  /** Write `write` is over: nothing more is said of it. */
  | { type: 'ended'; write: number }
  | { type: 'closed' };

/** A counter delta as [organization, feature, period start, period end, project, aggregation, value, last event]. */
export type EncodedDelta = [string, string, Date, Date, string, Aggregation, string, Date | null];

export const encodeDelta = (delta: CounterDelta): EncodedDelta => [
  delta.organizationId,
  delta.feature,
  delta.periodStart,
  delta.periodEnd,
  delta.projectId,
  delta.aggregation,
  delta.value.toFixed(),
  delta.lastEventAt,
];

export const decodeDelta = ([
  organizationId,
  feature,
  periodStart,
  periodEnd,
  projectId,
  aggregation,
  value,
  lastEventAt,
]: EncodedDelta): CounterDelta => ({
  organizationId,
  feature,
  periodStart,
  periodEnd,
  projectId,
  aggregation,
  value: toDecimal(value),
  lastEventAt,
});

/**
 * An error of the worker as the request thread's error handler and logger need it: an AppError whole;
 * any other error as its chain of causes (drizzle wraps the driver's error), each with its message
 * and the fields that say what failed: `code` (a SQLSTATE or a socket error) decides whether the
 * database was at fault (db/database-faults.ts), and the logger redacts messages as it always does.
 */
export type IngestFailure =
  | { kind: 'app'; code: string; statusCode: number; message: string; details?: Record<string, unknown> }
  | { kind: 'error'; chain: ErrorLink[] };

type ErrorLink = { name: string; message: string; fields: Record<string, string> };

/** The string fields of a driver error worth carrying (logger.ts logs these, and `code` classifies). */
const CARRIED_FIELDS = ['code', 'severity', 'routine', 'constraint', 'table', 'column', 'query'];
const MAX_CAUSES = 5;

export function describeFailure(error: unknown): IngestFailure {
  if (error instanceof AppError) {
    return {
      kind: 'app',
      code: error.code,
      statusCode: error.statusCode,
      message: error.message,
      ...(error.details && { details: error.details }),
    };
  }
  const chain: ErrorLink[] = [];
  for (let current = error; current && chain.length < MAX_CAUSES; ) {
    const link = current as Record<string, unknown>;
    const fields: Record<string, string> = {};
    for (const field of CARRIED_FIELDS) {
      if (typeof link[field] === 'string') fields[field] = link[field];
    }
    chain.push({
      name: typeof link.name === 'string' ? link.name : 'Error',
      message: typeof link.message === 'string' ? link.message : String(current),
      fields,
    });
    current = link.cause;
  }
  return { kind: 'error', chain };
}

export function errorOf(failure: IngestFailure): Error {
  if (failure.kind === 'app') {
    return new AppError(failure.code, failure.statusCode, failure.message, failure.details);
  }
  let error: Error | undefined;
  for (const link of [...failure.chain].reverse()) {
    const next: Error = new Error(link.message, error ? { cause: error } : undefined);
    next.name = link.name;
    error = Object.assign(next, link.fields);
  }
  return error ?? new Error('ingestion failed');
}
