/** A billing period, half-open: it contains `start` and ends just before `end`. */
export interface Period {
  start: Date;
  end: Date;
}

export type BillingInterval = 'monthly' | 'yearly';

const MONTHS_PER_INTERVAL: Record<BillingInterval, number> = { monthly: 1, yearly: 12 };

function daysInMonth(year: number, monthIndex: number): number {
  return new Date(Date.UTC(year, monthIndex + 1, 0)).getUTCDate();
}

/**
 * The anchor moved by whole months, clamping the day to the target month's end.
 * Always computed from the anchor itself, never chained, so a Jan 31 anchor gives
 * Feb 28 (or 29) and then Mar 31 again, as Stripe's billing cycle anchor does.
 */
export function addMonthsClamped(anchor: Date, months: number): Date {
  const monthCount = anchor.getUTCFullYear() * 12 + anchor.getUTCMonth() + months;
  const year = Math.floor(monthCount / 12);
  const monthIndex = monthCount - year * 12;
  const day = Math.min(anchor.getUTCDate(), daysInMonth(year, monthIndex));
  return new Date(
    Date.UTC(
      year,
      monthIndex,
      day,
      anchor.getUTCHours(),
      anchor.getUTCMinutes(),
      anchor.getUTCSeconds(),
      anchor.getUTCMilliseconds(),
    ),
  );
}

/** The anniversary period of a subscription anchored at `anchor` that contains `now`. */
export function periodContaining(anchor: Date, interval: BillingInterval, now: Date): Period {
  const step = MONTHS_PER_INTERVAL[interval];
  const monthsApart =
    (now.getUTCFullYear() - anchor.getUTCFullYear()) * 12 + (now.getUTCMonth() - anchor.getUTCMonth());
  // A first guess from the calendar months between them; clamping and time of day move it by at most one step.
  let index = Math.floor(monthsApart / step);
  while (addMonthsClamped(anchor, index * step) > now) index -= 1;
  while (addMonthsClamped(anchor, (index + 1) * step) <= now) index += 1;
  return {
    start: addMonthsClamped(anchor, index * step),
    end: addMonthsClamped(anchor, (index + 1) * step),
  };
}

/** The calendar month (UTC) containing `now`: the period of organizations on the free plan. */
export function calendarMonthContaining(now: Date): Period {
  const year = now.getUTCFullYear();
  const monthIndex = now.getUTCMonth();
  return { start: new Date(Date.UTC(year, monthIndex, 1)), end: new Date(Date.UTC(year, monthIndex + 1, 1)) };
}

/** The period that follows `period` for the same anchor and interval. */
export function nextPeriod(anchor: Date, interval: BillingInterval, period: Period): Period {
  return periodContaining(anchor, interval, period.end);
}

/**
 * Counters of features that never reset (storage, seats) live in one period spanning all time,
 * so the same counter key shape serves both kinds of feature.
 */
export const ALL_TIME: Period = Object.freeze({
  start: new Date(Date.UTC(1970, 0, 1)),
  end: new Date(Date.UTC(9999, 11, 31)),
}) as Period;

export function isWithin(period: Period, instant: Date): boolean {
  return period.start <= instant && instant < period.end;
}
