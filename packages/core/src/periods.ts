import { addIntervals, type BillingInterval, type BillingPeriod } from './billing-period.js';

/** A billing period, half-open: it contains `start` and ends just before `end`. */
export type Period = BillingPeriod;

/**
 * The anniversary period of a subscription anchored at `anchor` that contains `now`. Boundaries are
 * computed from the anchor, never chained, so a Jan 31 anchor gives Feb 28/29 and then Mar 31 again.
 */
export function periodContaining(anchor: Date, interval: BillingInterval, now: Date): Period {
  const monthsApart =
    (now.getUTCFullYear() - anchor.getUTCFullYear()) * 12 + (now.getUTCMonth() - anchor.getUTCMonth());
  // A first guess from calendar months; day clamping and time of day move it by at most one step.
  // It also answers before the anchor (late events of an earlier period).
  let count = Math.floor(interval === 'year' ? monthsApart / 12 : monthsApart);
  while (addIntervals(anchor, interval, count) > now) count -= 1;
  while (addIntervals(anchor, interval, count + 1) <= now) count += 1;
  return { start: addIntervals(anchor, interval, count), end: addIntervals(anchor, interval, count + 1) };
}

/** The period that follows `period` for the same anchor and interval. */
export function nextPeriod(anchor: Date, interval: BillingInterval, period: Period): Period {
  return periodContaining(anchor, interval, period.end);
}

/**
 * Counters of features that never reset (storage, seats) live in one period spanning all time,
 * so the same counter key serves both kinds of feature.
 */
export const ALL_TIME: Readonly<Period> = Object.freeze({
  start: new Date(Date.UTC(1970, 0, 1)),
  end: new Date(Date.UTC(9999, 11, 31)),
});

export function isWithin(period: Period, instant: Date): boolean {
  return period.start <= instant && instant < period.end;
}
