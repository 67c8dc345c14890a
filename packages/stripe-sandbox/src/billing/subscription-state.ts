import type Stripe from 'stripe';
import { previousAttributes } from '../resources/common.js';
import type { Sandbox } from '../sandbox.js';
import type { Wire } from '../wire.js';

export type Subscription = Wire<Stripe.Subscription>;

export function clockOfSubscription(subscription: Subscription): string | null {
  return (subscription.test_clock as string | null) ?? null;
}

/** Saves a change and emits `customer.subscription.updated` with what changed. */
export function saveWithUpdate(sandbox: Sandbox, subscription: Subscription, before: Subscription): void {
  sandbox.store.put('subscriptions', subscription);
  const previous = previousAttributes(before, subscription);
  if (Object.keys(previous).length === 0) return;
  sandbox.emit('customer.subscription.updated', subscription, {
    clockId: clockOfSubscription(subscription),
    previous,
  });
}

export function setSubscriptionStatus(
  sandbox: Sandbox,
  subscription: Subscription,
  status: Stripe.Subscription.Status,
): void {
  if (subscription.status === status) return;
  const before = structuredClone(subscription);
  subscription.status = status;
  saveWithUpdate(sandbox, subscription, before);
}

/** Ends a subscription now: status canceled, `customer.subscription.deleted`. */
export function endSubscription(
  sandbox: Sandbox,
  subscription: Subscription,
  reason: Stripe.Subscription.CancellationDetails.Reason,
): void {
  const now = sandbox.now(clockOfSubscription(subscription));
  subscription.status = 'canceled';
  subscription.canceled_at = subscription.canceled_at ?? now;
  subscription.ended_at = now;
  subscription.cancellation_details = {
    comment: subscription.cancellation_details?.comment ?? null,
    feedback: subscription.cancellation_details?.feedback ?? null,
    feedback_option: null,
    reason,
  };
  sandbox.store.put('subscriptions', subscription);
  for (const invoice of sandbox.store.all<Wire<Stripe.Invoice>>('invoices')) {
    if (
      invoice.parent?.subscription_details?.subscription === subscription.id &&
      invoice.next_payment_attempt
    ) {
      invoice.next_payment_attempt = null;
      sandbox.store.put('invoices', invoice);
    }
  }
  sandbox.emit('customer.subscription.deleted', subscription, { clockId: clockOfSubscription(subscription) });
}
