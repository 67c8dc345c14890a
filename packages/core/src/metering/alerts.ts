import { type Decimal, type DecimalInput, toDecimal } from '../decimal.js';

/** A limit's alert thresholds (percent), ascending and each once, with the usage that reaches each. */
export type ThresholdMarks = ReadonlyArray<{ threshold: number; mark: Decimal }>;

/**
 * The usage at which each threshold of `limit` is reached; empty without a limit or with a zero one,
 * which have no percentages. Computed once per limit, then compared with many counters.
 */
export function thresholdMarks(thresholds: readonly number[], limit: DecimalInput | null): ThresholdMarks {
  if (limit === null) return [];
  const limitValue = toDecimal(limit);
  if (!limitValue.gt(0)) return [];
  return [...new Set(thresholds)]
    .sort((a, b) => a - b)
    .map((threshold) => ({ threshold, mark: limitValue.times(threshold).dividedBy(100) }));
}

/**
 * The thresholds of `marks` that a change of usage from `before` to `after` crosses upward:
 * before < mark ≤ after. Each threshold fires once per period because usage only crosses it upward
 * once (counters do not go down within a period, except gauges, whose alerts are kept unique per
 * period by storage).
 */
export function marksCrossed(marks: ThresholdMarks, before: DecimalInput, after: DecimalInput): number[] {
  const lowest = marks[0];
  if (lowest === undefined) return [];
  const afterValue = toDecimal(after);
  // Most changes stay below the first mark: nothing else to compute.
  if (afterValue.lt(lowest.mark)) return [];
  const beforeValue = toDecimal(before);
  return marks
    .filter(({ mark }) => beforeValue.lt(mark) && afterValue.gte(mark))
    .map(({ threshold }) => threshold);
}

/** `marksCrossed` for a single change, its marks computed on the spot. */
export function crossedThresholds(
  thresholds: readonly number[],
  limit: DecimalInput | null,
  before: DecimalInput,
  after: DecimalInput,
): number[] {
  return marksCrossed(thresholdMarks(thresholds, limit), before, after);
}

/** Usage as a percent of the limit, to two decimals; null when there is no limit. */
export function usagePercent(limit: DecimalInput | null, used: DecimalInput): Decimal | null {
  if (limit === null) return null;
  const limitValue = toDecimal(limit);
  if (limitValue.isZero()) return null;
  return toDecimal(used).times(100).dividedBy(limitValue).toDecimalPlaces(2);
}
