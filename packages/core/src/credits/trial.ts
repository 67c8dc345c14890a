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
