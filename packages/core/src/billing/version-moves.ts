import type { BillingInterval } from '../billing-period.js';
import { type Catalog, stableJson } from '../catalog/catalog.js';
import type { Plan } from '../catalog/schema.js';

/** A Stripe subscription, as far as moving it to today's plan version is concerned. */
export type VersionMoveCandidate = {
  source: 'default' | 'manual' | 'stripe';
  status: string;
  planCode: string;
  interval: BillingInterval;
  catalogHash: string | null;
  cancelAtPeriodEnd: boolean;
  /** A change is already scheduled for the period end (a downgrade, or this move). */
  scheduled: boolean;
};

export type VersionMove =
  /** Stays on its version: the catalog does not migrate, or there is nothing to move. */
  | 'none'
  /** Same price, other limits: Tollgate takes today's version when Stripe renews the period. */
  | 'at_renewal'
  /** Another price: a subscription schedule moves Stripe to today's price at the period end. */
  | 'schedule_price';

const LIVE = new Set(['trialing', 'active', 'past_due']);

/**
 * With `billing.migrate_at_renewal`, a Stripe subscriber still on an earlier version of a plan the
 * catalog still sells moves to today's version at its next renewal. A retired plan is never moved
 * by itself (its subscribers are listed and moved by an operator), nor a subscription that is
 * ending or already has a change scheduled.
 */
export function versionMoveFor(catalog: Catalog, subscription: VersionMoveCandidate): VersionMove {
  if (!catalog.definition.billing.migrate_at_renewal) return 'none';
  if (subscription.source !== 'stripe' || !LIVE.has(subscription.status)) return 'none';
  if (subscription.cancelAtPeriodEnd || subscription.scheduled) return 'none';
  if (!catalog.plan(subscription.planCode)) return 'none';
  const version = catalog.effectivePlanCode(subscription.planCode, subscription.catalogHash);
  if (version === subscription.planCode) return 'none';
  const earlier = catalog.plan(version);
  const today = catalog.plan(subscription.planCode);
  if (!earlier || !today) return 'none';
  return stableJson(stripePricesOf(earlier, subscription.interval)) ===
    stableJson(stripePricesOf(today, subscription.interval))
    ? 'at_renewal'
    : 'schedule_price';
}

/** What a plan's Stripe prices are made of at one interval: its price and its overage pricing. */
function stripePricesOf(plan: Plan, interval: BillingInterval) {
  const overage = Object.fromEntries(
    Object.entries(plan.features).map(([feature, grant]) => [
      feature,
      typeof grant === 'object' ? (grant.overage ?? null) : null,
    ]),
  );
  return { price: interval === 'year' ? (plan.prices.yearly ?? null) : plan.prices.monthly, overage };
}
