import { Decimal } from '../decimal.js';

export interface SubscriptionCreditGrant {
  amount: Decimal;
  granted_at: Date;
  expires_at: Date;
  /** The same subscription and period always give the same key, so a grant is made once. */
  idempotency_key: string;
}

/**
 * The plan's allowance for one billing period: granted at its start, expiring at its end.
 * null when the plan grants no credits or the period is empty.
 */
export function planSubscriptionAllocation(input: {
  subscription_id: string;
  credits_per_period: number;
  period: { start: Date; end: Date };
}): SubscriptionCreditGrant | null {
  if (input.credits_per_period <= 0) return null;
  if (input.period.end.getTime() <= input.period.start.getTime()) return null;
  return {
    amount: new Decimal(input.credits_per_period),
    granted_at: input.period.start,
    expires_at: input.period.end,
    idempotency_key: `subscription:${input.subscription_id}:${input.period.start.toISOString()}`,
  };
}
