/** PostgreSQL's deadlock_detected and serialization_failure: the transaction may simply run again. */
export const RETRYABLE_CODES = new Set(['40P01', '40001']);

export function sqlStateOf(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code.length === 5) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Runs a whole transaction again when PostgreSQL aborted it for a deadlock or a serialization
 * failure. Rows are locked in key order so this is rare; the work must be idempotent (it is: event
 * ids and idempotency keys make a rerun a no-op for whatever already committed).
 */
export async function retryTransaction<T>(work: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      const code = sqlStateOf(error);
      if (!code || !RETRYABLE_CODES.has(code) || attempt >= attempts) throw error;
    }
  }
}
