import { AppError } from '../errors.js';
import { sqlStateOf } from './retry.js';

/**
 * SQLSTATE classes and codes meaning the database cannot do the work right now, whatever the request:
 * connection exceptions (08), insufficient resources such as a full disk or too many connections (53),
 * and an administrator or crash shutdown, or a server still starting (57P01–57P03).
 */
const UNAVAILABLE_CLASSES = ['08', '53'];
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03']);
/** query_canceled: what a statement past `statement_timeout` ends with. */
const STATEMENT_TIMEOUT = '57014';
/**
 * disk_full: a table or index could not grow. Named apart from `database_unavailable` because the
 * operator's fix differs (free space, not restart), though the client retries the same way.
 */
const DISK_FULL = '53100';

/** Socket errors of a database that is down or unreachable (node's `code`, not a SQLSTATE). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

/**
 * node-postgres reports a connection that ended, or could not be made in time, by message only.
 * Matched on the driver's wording, never shown to the caller.
 */
const LOST_CONNECTION =
  /Connection terminated|timeout exceeded when trying to connect|not queryable|Client was closed/;

/** Follows `cause` a few levels: drizzle wraps the driver's error in its own. */
function* causes(error: unknown): Generator<{ code?: unknown; message?: unknown }> {
  for (let current = error, depth = 0; current && depth < 5; depth += 1) {
    yield current as { code?: unknown; message?: unknown };
    current = (current as { cause?: unknown }).cause;
  }
}

/**
 * The 503 a request gets when the database, not the request, is at fault: `database_timeout` for a
 * statement that ran past its timeout, `database_disk_full` for a write that found no space left,
 * `database_unavailable` for a database that is down, shutting down, unreachable or out of other
 * resources. Undefined for any other error. Either way the request may be
 * sent again: every retried write is idempotent.
 */
export function databaseFaultOf(error: unknown): AppError | undefined {
  const sqlState = sqlStateOf(error);
  if (sqlState === STATEMENT_TIMEOUT) {
    return new AppError('database_timeout', 503, 'the database did not answer in time; retry the request');
  }
  if (sqlState === DISK_FULL) {
    return new AppError('database_disk_full', 503, 'the database has no disk space left; retry the request');
  }
  const unavailable = () =>
    new AppError('database_unavailable', 503, 'the database is unavailable; retry the request');
  if (sqlState && (UNAVAILABLE_CODES.has(sqlState) || UNAVAILABLE_CLASSES.includes(sqlState.slice(0, 2)))) {
    return unavailable();
  }
  for (const cause of causes(error)) {
    if (typeof cause.code === 'string' && NETWORK_CODES.has(cause.code)) return unavailable();
    if (typeof cause.message === 'string' && LOST_CONNECTION.test(cause.message)) return unavailable();
  }
  return undefined;
}
