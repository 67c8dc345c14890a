export interface EventWindow {
  /** How far back an event may be dated; older periods are closed for usage (35 days by default). */
  maxAgeMs: number;
  /** How far ahead an event may be dated, for clock skew between hosts (5 minutes by default). */
  maxFutureMs: number;
}

export const DEFAULT_EVENT_WINDOW: EventWindow = { maxAgeMs: 35 * 86_400_000, maxFutureMs: 5 * 60_000 };

export type TimestampResult = { ok: true; timestamp: Date } | { ok: false; code: string; message: string };

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** Date parsing rolls Feb 30 over to Mar 2; an event dated on a day that does not exist is a client bug. */
function hasRealCalendarDate(text: string): boolean {
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  return month >= 1 && month <= 12 && day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Reads an event timestamp (ISO 8601 with a zone, or epoch milliseconds; absent = now) and checks the window. */
export function eventTimestamp(
  value: unknown,
  now: Date,
  window: EventWindow = DEFAULT_EVENT_WINDOW,
): TimestampResult {
  let timestamp: Date;
  if (value === undefined || value === null) timestamp = now;
  else if (typeof value === 'number' && Number.isInteger(value)) timestamp = new Date(value);
  else if (typeof value === 'string' && ISO_8601.test(value) && hasRealCalendarDate(value))
    timestamp = new Date(value);
  else
    return {
      ok: false,
      code: 'invalid_timestamp',
      message: 'timestamp must be ISO 8601 with a time zone or epoch milliseconds',
    };
  if (Number.isNaN(timestamp.getTime())) {
    return { ok: false, code: 'invalid_timestamp', message: 'timestamp is not a valid date' };
  }
  if (timestamp.getTime() < now.getTime() - window.maxAgeMs) {
    return {
      ok: false,
      code: 'timestamp_too_old',
      message: `timestamp is more than ${window.maxAgeMs / 86_400_000} days in the past`,
    };
  }
  if (timestamp.getTime() > now.getTime() + window.maxFutureMs) {
    return {
      ok: false,
      code: 'timestamp_in_future',
      message: `timestamp is more than ${window.maxFutureMs / 60_000} minutes ahead`,
    };
  }
  return { ok: true, timestamp };
}
