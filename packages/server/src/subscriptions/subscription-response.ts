import { z } from 'zod';
import { iso, isoOrNull } from '../http/schemas.js';
import type { OrganizationWithSubscription } from '../organizations/service.js';

export const subscriptionResponse = z.object({
  id: z
    .string()
    .nullable()
    .describe("Tollgate's id of the subscription; null on the default plan before any"),
  plan: z.string(),
  interval: z.enum(['month', 'year']),
  status: z.enum(['incomplete', 'trialing', 'active', 'past_due', 'unpaid', 'canceled', 'expired']),
  source: z.enum(['default', 'manual', 'stripe']),
  current_period_start: z.string().nullable(),
  current_period_end: z.string().nullable(),
  trial_end: z.string().nullable(),
  cancel_at_period_end: z.boolean(),
  scheduled_change: z
    .object({ plan: z.string(), interval: z.enum(['month', 'year']), at: z.string() })
    .nullable()
    .describe('A downgrade waiting for the period end'),
  stripe_customer_id: z.string().nullable(),
  stripe_subscription_id: z.string().nullable(),
});
export type SubscriptionResponse = z.infer<typeof subscriptionResponse>;

export function toSubscriptionResponse(
  organization: OrganizationWithSubscription,
  defaultPlan: string,
): SubscriptionResponse {
  const row = organization.subscription;
  if (!row) {
    return {
      id: null,
      plan: defaultPlan,
      interval: 'month',
      status: 'active',
      source: 'default',
      current_period_start: null,
      current_period_end: null,
      trial_end: null,
      cancel_at_period_end: false,
      scheduled_change: null,
      stripe_customer_id: organization.stripeCustomerId,
      stripe_subscription_id: null,
    };
  }
  return {
    id: row.id,
    plan: row.planCode,
    interval: row.interval,
    status: row.status,
    source: row.source,
    current_period_start: iso(row.currentPeriodStart),
    current_period_end: iso(row.currentPeriodEnd),
    trial_end: isoOrNull(row.trialEnd),
    cancel_at_period_end: row.cancelAtPeriodEnd,
    scheduled_change: row.scheduledChange,
    stripe_customer_id: organization.stripeCustomerId,
    stripe_subscription_id: row.stripeSubscriptionId,
  };
}
