import { Decimal } from '../decimal.js';

export type TrialDecision =
  | { allowed: true; used: Decimal; remaining: Decimal; limit: Decimal }
  | { allowed: false; reason: 'trial_exhausted'; used: Decimal; remaining: Decimal; limit: Decimal };

/** A user's own trial: `limit` executions in all; `used` afterwards counts what this request consumed. */
export function decideTrialUse(input: { used: Decimal; limit: Decimal; quantity: Decimal }): TrialDecision {
  const after = input.used.plus(input.quantity);
  if (after.gt(input.limit)) {
    const remaining = input.limit.minus(input.used);
    return {
      allowed: false,
      reason: 'trial_exhausted',
      used: input.used,
      remaining: Decimal.max(remaining, 0),
      limit: input.limit,
    };
  }
  return { allowed: true, used: after, remaining: input.limit.minus(after), limit: input.limit };
}

/** Where a user's trial stands without using it: what is left (never negative) and whether it is spent. */
export function trialStanding(input: { used: Decimal; limit: Decimal }): {
  remaining: Decimal;
  exhausted: boolean;
} {
  return { remaining: Decimal.max(input.limit.minus(input.used), 0), exhausted: input.used.gte(input.limit) };
}
