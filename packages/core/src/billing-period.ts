export type BillingInterval = 'month' | 'year';
export type BillingPeriod = { start: Date; end: Date };

/** The UTC calendar month that contains `now`: the period of organizations on the free plan. */
export function calendarMonthContaining(now: Date): BillingPeriod {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return { start, end };
}

/**
 * `anchor` moved forward by `count` intervals, keeping the anchor's day of month where the target
 * month has it and clamping to the month's last day where it does not (Jan 31 → Feb 28 → Mar 31).
 */
export function addIntervals(anchor: Date, interval: BillingInterval, count: number): Date {
  const months = interval === 'year' ? 12 * count : count;
  const targetMonth = anchor.getUTCMonth() + months;
  const year = anchor.getUTCFullYear() + Math.floor(targetMonth / 12);
  const month = ((targetMonth % 12) + 12) % 12;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return new Date(
    Date.UTC(
      year,
      month,
      Math.min(anchor.getUTCDate(), lastDay),
      anchor.getUTCHours(),
      anchor.getUTCMinutes(),
      anchor.getUTCSeconds(),
      anchor.getUTCMilliseconds(),
    ),
  );
}
