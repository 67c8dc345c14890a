import { type BillingInterval, calendarMonthContaining } from './billing-period.js';
import { type Period, periodContaining } from './periods.js';

/** What deciding a subscription's renewal needs to know of it. */
export type RenewableSubscription = {
  source: 'default' | 'manual' | 'stripe';
  interval: BillingInterval;
  billingCycleAnchor: Date;
  currentPeriodEnd: Date;
  cancelAtPeriodEnd: boolean;
};

/**
 * The period a subscription Tollgate bills itself moves to at `now`, or null while its period runs.
 * The default plan follows calendar months; a manual plan its anniversary, computed from the billing
 * cycle anchor, never chained from the last period, so a Jan 31 anchor renews on Feb 28 and then on
 * Mar 31 again. A server that was down for whole periods jumps straight to the one containing `now`:
 * the missed ones are over. Stripe subscriptions renew through Stripe's own events, and one set to end
 * at its period end is not renewed.
 */
export function renewedPeriod(subscription: RenewableSubscription, now: Date): Period | null {
  if (subscription.source === 'stripe' || subscription.cancelAtPeriodEnd) return null;
  if (subscription.currentPeriodEnd > now) return null;
  return subscription.source === 'default'
    ? calendarMonthContaining(now)
    : periodContaining(subscription.billingCycleAnchor, subscription.interval, now);
}
