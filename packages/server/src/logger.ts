import type { Config } from './config.js';

// Error fields safe to log: what failed and where, never the values involved. A database error's
// `detail` ("Key (email)=(…) already exists") and a failed query's parameters are left out.
const LOGGED_ERROR_FIELDS = [
  'code',
  'statusCode',
  'severity',
  'routine',
  'constraint',
  'table',
  'column',
  'query',
] as const;

const MAX_CAUSES = 5;

/** Drizzle's "Failed query: …\nparams: …" carries every SQL parameter; keep the query, drop the values. */
function withoutParameters(message: string): string {
  const parameters = message.indexOf('\nparams: ');
  return parameters === -1 ? message : `${message.slice(0, parameters)}\nparams: [redacted]`;
}

/**
 * PostgreSQL's data exceptions (SQLSTATE class 22) quote the offending value after the last ": "
 * ('invalid input syntax for type integer: "…"'); the kind of error is kept, the value dropped.
 */
function withoutQuotedValue(error: Error, message: string): string {
  const { code, severity } = error as Error & { code?: unknown; severity?: unknown };
  if (typeof severity !== 'string' || typeof code !== 'string' || !code.startsWith('22')) return message;
  const value = message.lastIndexOf(': ');
  return value === -1 ? message : `${message.slice(0, value)}: [redacted]`;
}

type LoggedError = { type: string; message: string; stack: string; [field: string]: unknown };

/** The `err` of every log line: type, message, stack and safe fields, with SQL parameters removed. */
export function serializeLoggedError(error: Error, depth = 0): LoggedError {
  const message = withoutQuotedValue(error, withoutParameters(error.message));
  const logged: LoggedError = {
    type: error.name,
    message,
    // The stack starts with the message: replaced as a whole, so no part of a parameter survives.
    stack: (error.stack ?? '').replace(error.message, () => message),
  };
  for (const field of LOGGED_ERROR_FIELDS) {
    const value = (error as unknown as Record<string, unknown>)[field];
    if (typeof value === 'string' || typeof value === 'number') logged[field] = value;
  }
  if (error.cause instanceof Error && depth < MAX_CAUSES)
    logged.cause = serializeLoggedError(error.cause, depth + 1);
  return logged;
}

/** pino options: secrets, SQL parameters and personal data never reach the log, whatever a future log line includes. */
export function loggerOptions(level: Config['logLevel']) {
  return {
    level,
    serializers: { err: (error: Error) => serializeLoggedError(error) },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["stripe-signature"]',
        'headers.authorization',
        '*.secret',
        '*.token',
        '*.password',
        '*.adminKey',
        '*.secretKey',
      ],
      censor: '[redacted]',
    },
  };
}
