import { z } from 'zod';
import { iso, isoOrNull } from '../http/schemas.js';
import { billingAddress, taxId } from './billing-identity.js';
import type { OrganizationWithSubscription } from './service.js';

export const subscriptionSummary = z.object({
  id: z.string(),
  plan: z.string(),
  interval: z.enum(['month', 'year']),
  status: z.string(),
  source: z.string(),
  current_period_start: z.string(),
  current_period_end: z.string(),
  billing_cycle_anchor: z
    .string()
    .describe('Anniversary periods start at this instant each month or year (clipped to short months)'),
  trial_end: z.string().nullable(),
  cancel_at_period_end: z.boolean(),
});

export const organizationResponse = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string().nullable(),
  trial_organization: z.boolean(),
  stripe_customer_id: z.string().nullable(),
  billing_address: billingAddress.nullable(),
  tax_exempt: z.enum(['none', 'exempt', 'reverse']),
  tax_ids: z.array(taxId),
  metadata: z.record(z.string(), z.string()),
  plan: z.string().nullable(),
  subscription: subscriptionSummary.nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type OrganizationResponse = z.infer<typeof organizationResponse>;

export function toOrganizationResponse(organization: OrganizationWithSubscription): OrganizationResponse {
  const subscription = organization.subscription;
  return {
    id: organization.id,
    name: organization.name,
    email: organization.email,
    trial_organization: organization.trialOrganization,
    stripe_customer_id: organization.stripeCustomerId,
    billing_address: organization.billingAddress ?? null,
    tax_exempt: organization.taxExempt,
    tax_ids: organization.taxIds,
    metadata: organization.metadata,
    plan: subscription?.planCode ?? null,
    subscription: subscription
      ? {
          id: subscription.id,
          plan: subscription.planCode,
          interval: subscription.interval,
          status: subscription.status,
          source: subscription.source,
          current_period_start: iso(subscription.currentPeriodStart),
          current_period_end: iso(subscription.currentPeriodEnd),
          billing_cycle_anchor: iso(subscription.billingCycleAnchor),
          trial_end: isoOrNull(subscription.trialEnd),
          cancel_at_period_end: subscription.cancelAtPeriodEnd,
        }
      : null,
    created_at: iso(organization.createdAt),
    updated_at: iso(organization.updatedAt),
  };
}
