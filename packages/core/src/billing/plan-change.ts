import type { BillingInterval } from '../billing-period.js';
import type { Catalog } from '../catalog/catalog.js';
import type { Plan } from '../catalog/schema.js';
import type { SubscriptionStatus } from '../metering/billing-context.js';
import type { PlanAndInterval } from './stripe-subscription.js';

/** What a plan costs over a year at one interval, in minor units: how upgrades are told from downgrades. */
export function yearlyAmount(plan: Plan, interval: BillingInterval): number | null {
  if (interval === 'year') return plan.prices.yearly?.amount ?? null;
  return plan.prices.monthly.amount * 12;
}

export type PlanChangeTiming =
  /** Applied now; Stripe prorates and invoices the difference. */
  | 'now'
  /** Applied at the end of the period already paid for (a subscription schedule's next phase). */
  | 'period_end';

export type PlanChangeDecision =
  | { ok: true; timing: PlanChangeTiming; direction: 'upgrade' | 'downgrade' | 'interval_change' }
  | {
      ok: false;
      code: 'no_change' | 'unknown_plan' | 'unknown_price' | 'free_plan' | 'legacy_plan';
      message: string;
    };

/**
 * When a change from one paid plan to another takes effect: more per year applies now (the customer
 * pays the prorated difference at once); less per year waits for the period end, so nobody loses
 * what they already paid for. Moving the same plan to yearly billing is an upgrade of commitment and
 * applies now; back to monthly waits for the year's end.
 */
export function decidePlanChange(
  catalog: Catalog,
  from: PlanAndInterval,
  to: PlanAndInterval,
): PlanChangeDecision {
  const target = catalog.plan(to.plan);
  if (!target) return { ok: false, code: 'unknown_plan', message: `plan "${to.plan}" is not in the catalog` };
  const targetAmount = yearlyAmount(target, to.interval);
  if (targetAmount === null) {
    return { ok: false, code: 'unknown_price', message: `plan "${to.plan}" has no ${to.interval}ly price` };
  }
  if (targetAmount === 0) {
    return {
      ok: false,
      code: 'free_plan',
      message: `plan "${to.plan}" is free: cancel the subscription to move to it at the period end`,
    };
  }
  const source = catalog.plan(from.plan);
  if (!source) {
    return {
      ok: false,
      code: 'legacy_plan',
      message: `the current plan "${from.plan}" is no longer in the catalog; migrate the subscription first`,
    };
  }
  if (from.plan === to.plan && from.interval === to.interval) {
    return {
      ok: false,
      code: 'no_change',
      message: `the subscription is already on ${to.plan} (${to.interval})`,
    };
  }
  if (from.plan === to.plan) {
    return { ok: true, timing: to.interval === 'year' ? 'now' : 'period_end', direction: 'interval_change' };
  }
  const sourceAmount = yearlyAmount(source, from.interval) ?? 0;
  return targetAmount > sourceAmount
    ? { ok: true, timing: 'now', direction: 'upgrade' }
    : { ok: true, timing: 'period_end', direction: 'downgrade' };
}

/** Statuses in which an organization already pays through Stripe and must change plans, not check out again. */
const PAYING: ReadonlySet<SubscriptionStatus> = new Set(['trialing', 'active', 'past_due']);

export type CheckoutRefusal = { code: 'use_plan_change' | 'legacy_plan'; message: string } | null;

/** Whether a subscription Checkout may start for an organization, given its live subscription. */
export function subscriptionCheckoutRefusal(
  catalog: Catalog,
  live: { plan: string; status: SubscriptionStatus; source: 'default' | 'manual' | 'stripe' } | null,
): CheckoutRefusal {
  if (!live) return null;
  if (!catalog.plan(live.plan)) {
    return {
      code: 'legacy_plan',
      message: `the organization is on plan "${live.plan}", which is no longer in the catalog; migrate it first (POST …/subscription/migrate)`,
    };
  }
  if (live.source === 'stripe' && PAYING.has(live.status)) {
    return {
      code: 'use_plan_change',
      message: `the organization already has a ${live.status} subscription to "${live.plan}"; change it with PUT …/subscription`,
    };
  }
  return null;
}
