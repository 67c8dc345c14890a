import type { BillingInterval } from '../billing-period.js';

/**
 * The names Tollgate gives its catalog in Stripe. Prices are found by lookup key, so the catalog sync,
 * Checkout, plan changes and the webhook handlers agree on which Stripe price is which plan without
 * storing a map of their own; a changed amount moves the key to a new price (Stripe prices are immutable).
 */
export const LOOKUP_KEY_PREFIX = 'tollgate_';

export const planPriceLookupKey = (planCode: string, interval: BillingInterval) =>
  `${LOOKUP_KEY_PREFIX}${planCode}_${interval}`;

export const creditPackPriceLookupKey = (packCode: string) => `${LOOKUP_KEY_PREFIX}pack_${packCode}`;

/** The metered price billing a plan's overage of one feature, for one interval. */
export const overagePriceLookupKey = (planCode: string, featureCode: string, interval: BillingInterval) =>
  `${LOOKUP_KEY_PREFIX}${planCode}_${featureCode}_overage_${interval}`;

/** The Stripe billing meter's event name for a feature (one meter per feature, shared by plans). */
export const meterEventName = (featureCode: string) => `${LOOKUP_KEY_PREFIX}${featureCode}`;

/** Metadata Tollgate writes on the Stripe objects it creates, so that they can be traced back. */
export const STRIPE_METADATA = {
  organization: 'tollgate_organization_id',
  plan: 'tollgate_plan',
  interval: 'tollgate_interval',
  creditPack: 'tollgate_credit_pack',
  quantity: 'tollgate_quantity',
  feature: 'tollgate_feature',
} as const;
