import { type Decimal, toDecimal } from '../decimal.js';

/**
 * The largest quantity one event or one check may carry. Far above any real use, low enough that a
 * period's sums stay exact; every way usage enters (events, checks, consumes) is held to it.
 */
export const MAX_USAGE_QUANTITY: Decimal = toDecimal('1000000000000000');

/** Whether a decimal quantity (already known to be a decimal) is at most MAX_USAGE_QUANTITY. */
export function isWithinUsageBound(text: string): boolean {
  // Sixteen characters cannot exceed 10^15 unless they are 16 integer digits: skip the decimal then.
  return text.length < 16 || toDecimal(text).lte(MAX_USAGE_QUANTITY);
}
