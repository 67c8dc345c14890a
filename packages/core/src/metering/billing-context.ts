import { type BillingInterval, calendarMonthContaining } from '../billing-period.js';
import { ALL_TIME, type Period, periodContaining } from '../periods.js';

export type SubscriptionStatus =
  | 'trialing'
  | 'active'
  | 'past_due'
  | 'unpaid'
  | 'canceled'
  | 'expired'
  | 'incomplete';

/** What metering needs to know about an organization's subscription. */
export interface BillingContext {
  planCode: string;
  /** Null when the organization has never subscribed: it is on the catalog's default plan. */
  status: SubscriptionStatus | null;
  interval: BillingInterval | null;
  /** The billing cycle anchor; null for calendar-month billing (the free plan). */
  anchor: Date | null;
  /** The subscription's stored current period, authoritative for instants inside it. */
  currentPeriod?: Period | null;
}

/**
 * Whether the plan's features may be used. Past-due subscriptions keep access while Stripe retries
 * the payment; organizations without a subscription are on the default plan, which is always usable.
 */
export function isSubscriptionActive(status: SubscriptionStatus | null): boolean {
  return status === null || status === 'trialing' || status === 'active' || status === 'past_due';
}

/** The billing period containing `instant`: anniversary periods for subscriptions, calendar months otherwise. */
export function billingPeriodAt(context: BillingContext, instant: Date): Period {
  const current = context.currentPeriod;
  if (current && current.start <= instant && instant < current.end) return current;
  if (context.anchor === null || context.interval === null) return calendarMonthContaining(instant);
  return periodContaining(context.anchor, context.interval, instant);
}

/** The period a feature's counter belongs to: the billing period, or all time for features that never reset. */
export function counterPeriodAt(
  reset: 'billing_period' | 'never',
  context: BillingContext,
  instant: Date,
): Period {
  return reset === 'never' ? ALL_TIME : billingPeriodAt(context, instant);
}
