import {
  type BillingInterval,
  type Catalog,
  type PlanAndInterval,
  planPriceLookupKey,
  STRIPE_METADATA,
} from '@tollgate/core';
import type Stripe from 'stripe';

const catalogIndexes = new WeakMap<Catalog, Map<string, PlanAndInterval>>();

/** Lookup key → plan and interval for every price the catalog sells. */
function lookupKeyIndex(catalog: Catalog): Map<string, PlanAndInterval> {
  let index = catalogIndexes.get(catalog);
  if (!index) {
    index = new Map();
    for (const plan of catalog.plans()) {
      for (const interval of ['month', 'year'] as const)
        index.set(planPriceLookupKey(plan.code, interval), { plan: plan.code, interval });
    }
    catalogIndexes.set(catalog, index);
  }
  return index;
}

/**
 * The plan a Stripe price sells. The metadata Tollgate wrote on the price names it even after the lookup
 * key moved to a newer price (grandfathered subscribers keep the old one); the lookup key is the fallback
 * for prices made by hand with Tollgate's naming.
 */
export function planOfPrice(
  catalog: Catalog,
  price: Stripe.Price | null | undefined,
): PlanAndInterval | null {
  if (!price) return null;
  const plan = price.metadata?.[STRIPE_METADATA.plan];
  const interval = price.metadata?.[STRIPE_METADATA.interval] ?? price.recurring?.interval;
  if (plan && (interval === 'month' || interval === 'year'))
    return { plan, interval: interval as BillingInterval };
  return price.lookup_key ? (lookupKeyIndex(catalog).get(price.lookup_key) ?? null) : null;
}

/** The subscription's licensed (plan) item: the one not billed by a meter. */
export function planItemOf(subscription: Stripe.Subscription): Stripe.SubscriptionItem | undefined {
  return subscription.items.data.find((item) => item.price.recurring?.usage_type !== 'metered');
}
