import { and, eq, isNull } from 'drizzle-orm';
import type Stripe from 'stripe';
import { organizations } from '../../db/schema/index.js';
import {
  applySubscriptionById,
  idOf,
  ignored,
  organizationById,
  processed,
  type WebhookInput,
  type WebhookOutcome,
} from './handler.js';
import { grantPurchasedPack } from './purchases.js';

/**
 * checkout.session.completed: a plan's subscription is applied at once (not left to the subscription
 * events, which may come later), a paid credit pack is granted. ACH payments still processing are
 * granted when their payment succeeds (payment_intent.succeeded).
 */
export async function onCheckoutCompleted(
  input: WebhookInput<Stripe.Checkout.Session>,
): Promise<WebhookOutcome> {
  const session = input.object;
  const customerId = idOf(session.customer);
  const byReference = await organizationById(input.tx, session.client_reference_id);
  const organizationId = byReference?.id ?? input.customerOrganizationId;
  if (!organizationId) return ignored();
  if (byReference && !byReference.stripeCustomerId && customerId) {
    await input.tx
      .update(organizations)
      .set({ stripeCustomerId: customerId })
      .where(and(eq(organizations.id, organizationId), isNull(organizations.stripeCustomerId)));
  }
  if (session.mode === 'subscription') {
    const subscriptionId = idOf(session.subscription);
    if (!subscriptionId) return ignored(organizationId);
    await applySubscriptionById(input, organizationId, subscriptionId);
    return processed(organizationId);
  }
  if (session.mode === 'payment' && session.payment_status === 'paid') {
    await grantPurchasedPack(input.tx, input.context, {
      organizationId,
      metadata: session.metadata,
      now: input.now,
    });
    return processed(organizationId);
  }
  return ignored(organizationId);
}
