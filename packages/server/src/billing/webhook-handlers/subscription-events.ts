import type Stripe from 'stripe';
import { applyStripeSubscription } from '../apply-stripe-subscription.js';
import { ignored, notify, processed, type WebhookInput, type WebhookOutcome } from './handler.js';

/** customer.subscription.created|updated|deleted: the subscription's state, applied (re-read when stale). */
export async function onSubscriptionChanged(
  input: WebhookInput<Stripe.Subscription>,
): Promise<WebhookOutcome> {
  const organizationId = input.customerOrganizationId;
  if (!organizationId) return ignored();
  await applyStripeSubscription(input.tx, {
    gateway: input.gateway,
    catalog: input.context.catalog,
    organizationId,
    subscription: input.object,
    stateAt: new Date(input.event.created * 1000),
    actor: 'stripe',
    now: input.now,
  });
  return processed(organizationId);
}

/** customer.subscription.trial_will_end: the organization is told three days ahead. */
export async function onTrialWillEnd(input: WebhookInput<Stripe.Subscription>): Promise<WebhookOutcome> {
  const organizationId = input.customerOrganizationId;
  if (!organizationId) return ignored();
  await notify(input, organizationId, 'subscription.trial_will_end', {
    stripe_subscription_id: input.object.id,
    trial_end: input.object.trial_end ? new Date(input.object.trial_end * 1000).toISOString() : null,
  });
  return processed(organizationId);
}
