import type { Decimal } from '../decimal.js';

export interface LowBalanceDecision {
  notify: boolean;
  /** Whether the next fall below the threshold should notify. */
  armed: boolean;
}

/**
 * Whether the alert is armed after the threshold itself changes: moving the line is not a fall below
 * it, so nothing fires; the alert is armed exactly when the balance is at or above the new line.
 */
export function armedAfterThresholdChange(input: { threshold: Decimal; balance: Decimal }): boolean {
  return input.balance.gte(input.threshold);
}

/**
 * Fires once when the balance falls below the threshold, then stays quiet until the balance has been
 * topped up to the threshold or above. An organization that never reached the threshold is not armed,
 * so one that never bought credits is not told it is running low.
 */
export function evaluateLowBalance(input: {
  armed: boolean;
  threshold: Decimal;
  balance: Decimal;
}): LowBalanceDecision {
  if (input.balance.gte(input.threshold)) return { notify: false, armed: true };
  if (input.armed) return { notify: true, armed: false };
  return { notify: false, armed: false };
}
