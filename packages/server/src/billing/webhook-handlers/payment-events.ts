import type Stripe from 'stripe';
import { ignored, notify, processed, type WebhookInput, type WebhookOutcome } from './handler.js';
import { grantPurchasedPack } from './purchases.js';

/** payment_intent.succeeded: a credit pack paid (also one paid by ACH after Checkout completed). */
export async function onPaymentSucceeded(input: WebhookInput<Stripe.PaymentIntent>): Promise<WebhookOutcome> {
  const organizationId = input.customerOrganizationId;
  if (!organizationId) return ignored();
  const granted = await grantPurchasedPack(input.tx, input.context, {
    organizationId,
    metadata: input.object.metadata,
    now: input.now,
  });
  return granted ? processed(organizationId) : ignored(organizationId);
}

/** Most payments are a subscription's invoice, which its invoice events handle: only purchases matter here. */
export const isPurchasePayment = (event: Stripe.Event) =>
  Boolean((event.data.object as Stripe.PaymentIntent).metadata?.tollgate_purchase_id);

/** payment_intent.payment_failed: the organization is told; a subscription's failure also moves it to past_due by its own events. */
export async function onPaymentFailed(input: WebhookInput<Stripe.PaymentIntent>): Promise<WebhookOutcome> {
  const organizationId = input.customerOrganizationId;
  if (!organizationId) return ignored();
  await notify(input, organizationId, 'payment.failed', {
    payment_intent: input.object.id,
    amount: input.object.amount,
    currency: input.object.currency,
    decline_code: input.object.last_payment_error?.decline_code ?? null,
    message: input.object.last_payment_error?.message ?? null,
  });
  return processed(organizationId);
}
