import type Stripe from 'stripe';
import type { Sandbox } from '../sandbox.js';
import type { Wire } from '../wire.js';
import { endSubscription, setSubscriptionStatus } from './subscription-state.js';

type Invoice = Wire<Stripe.Invoice>;
type Subscription = Wire<Stripe.Subscription>;

function subscriptionOf(sandbox: Sandbox, invoice: Invoice): Subscription | undefined {
  const id = invoice.parent?.subscription_details?.subscription;
  return typeof id === 'string' ? sandbox.store.get<Subscription>('subscriptions', id) : undefined;
}

/** A paid invoice brings an incomplete, past-due or unpaid subscription back to active. */
export function onInvoicePaid(sandbox: Sandbox, invoice: Invoice): void {
  const subscription = subscriptionOf(sandbox, invoice);
  if (!subscription) return;
  subscription.latest_invoice = invoice.id;
  if (['incomplete', 'past_due', 'unpaid'].includes(subscription.status)) {
    setSubscriptionStatus(sandbox, subscription, 'active');
  } else {
    sandbox.store.put('subscriptions', subscription);
  }
}

/**
 * A failed renewal makes the subscription past_due; when no retry is left it is canceled, made unpaid,
 * or left past_due, per the sandbox's billing settings. A failed first invoice leaves it incomplete.
 */
export function onInvoiceFailed(sandbox: Sandbox, invoice: Invoice, finalAttempt: boolean): void {
  const subscription = subscriptionOf(sandbox, invoice);
  if (!subscription || subscription.status === 'canceled') return;
  if (invoice.billing_reason === 'subscription_create') return;
  if (subscription.status === 'active' || subscription.status === 'trialing') {
    setSubscriptionStatus(sandbox, subscription, 'past_due');
  }
  if (!finalAttempt) return;
  const outcome = sandbox.settings.billing.afterFinalFailure;
  if (outcome === 'cancel') endSubscription(sandbox, subscription, 'payment_failed');
  else if (outcome === 'unpaid') setSubscriptionStatus(sandbox, subscription, 'unpaid');
}
