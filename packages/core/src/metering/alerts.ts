import { type Decimal, type DecimalInput, toDecimal } from '../decimal.js';

/**
 * The alert thresholds (percent of the limit) that a change of usage from `before` to `after`
 * crosses upward: before < threshold ≤ after. Each threshold fires once per period because usage
 * only crosses it upward once (counters do not go down within a period, except gauges, whose
 * alerts are kept unique per period by storage). No limit, or a zero limit, has no percentages.
 */
export function crossedThresholds(
  thresholds: readonly number[],
  limit: DecimalInput | null,
  before: DecimalInput,
  after: DecimalInput,
): number[] {
  if (limit === null) return [];
  const limitValue = toDecimal(limit);
  if (!limitValue.gt(0)) return [];
  const beforeValue = toDecimal(before);
  const afterValue = toDecimal(after);
  return [...new Set(thresholds)]
    .sort((a, b) => a - b)
    .filter((threshold) => {
      const mark = limitValue.times(threshold).dividedBy(100);
      return beforeValue.lt(mark) && afterValue.gte(mark);
    });
}

/** Usage as a percent of the limit, to two decimals; null when there is no limit. */
export function usagePercent(limit: DecimalInput | null, used: DecimalInput): Decimal | null {
  if (limit === null) return null;
  const limitValue = toDecimal(limit);
  if (limitValue.isZero()) return null;
  return toDecimal(used).times(100).dividedBy(limitValue).toDecimalPlaces(2);
}
