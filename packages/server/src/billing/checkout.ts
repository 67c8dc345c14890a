import {
  type BillingInterval,
  checkoutPaymentMethodTypes,
  creditPackPriceLookupKey,
  STRIPE_METADATA,
  subscriptionCheckoutRefusal,
} from '@tollgate/core';
import { and, eq, isNotNull } from 'drizzle-orm';
import type Stripe from 'stripe';
import { randomId } from '../auth/secrets.js';
import { subscriptions } from '../db/schema/index.js';
import { AppError, badRequest, conflict } from '../errors.js';
import type { AppContext } from '../http/context.js';
import { getOrganization } from '../organizations/service.js';
import { stripePriceIdFor } from '../stripe/catalog/stripe-catalog-ids.js';
import { callStripe, requireStripe } from '../stripe/stripe-errors.js';
import { planPriceIds } from './plan-prices.js';
import { ensureStripeCustomer } from './stripe-customers.js';

export type CheckoutRequest =
  | { kind: 'subscription'; plan: string; interval: BillingInterval; successUrl: string; cancelUrl: string }
  | { kind: 'credit_pack'; creditPack: string; quantity: number; successUrl: string; cancelUrl: string };

export type CheckoutResult = { id: string; url: string; expires_at: string };

/** Starts a Stripe Checkout for a plan (subscription mode) or a credit pack (payment mode). */
export async function createCheckout(
  context: AppContext,
  organizationId: string,
  request: CheckoutRequest,
): Promise<CheckoutResult> {
  const gateway = requireStripe(context);
  const organization = await getOrganization(context.db, organizationId);
  const live = organization.subscription;
  const base = {
    client_reference_id: organizationId,
    success_url: request.successUrl,
    cancel_url: request.cancelUrl,
    automatic_tax: { enabled: context.catalog.definition.billing.automatic_tax },
    tax_id_collection: { enabled: true },
    billing_address_collection: 'required' as const,
    customer_update: { address: 'auto' as const, name: 'auto' as const },
    // Card, and US bank accounts for USD catalogs, always; the catalog may add others.
    allowed_payment_method_types: checkoutPaymentMethodTypes(context.catalog),
  };
  let params: Stripe.Checkout.SessionCreateParams;
  if (request.kind === 'subscription') {
    const plan = context.catalog.plan(request.plan);
    if (!plan)
      throw badRequest('unknown_plan', `plan "${request.plan}" is not in the catalog`, { field: 'plan' });
    const price = request.interval === 'year' ? plan.prices.yearly : plan.prices.monthly;
    if (!price) {
      throw badRequest('unknown_price', `plan "${plan.code}" has no yearly price`, { field: 'interval' });
    }
    if (price.amount === 0) {
      throw badRequest('free_plan', `plan "${plan.code}" is free and needs no Checkout`, { field: 'plan' });
    }
    const refusal = subscriptionCheckoutRefusal(
      context.catalog,
      live ? { plan: live.planCode, status: live.status, source: live.source } : null,
    );
    if (refusal) throw conflict(refusal.code, refusal.message);
    const prices = await callStripe(() =>
      planPriceIds(context, { plan: plan.code, interval: request.interval }),
    );
    const metadata = {
      [STRIPE_METADATA.organization]: organizationId,
      [STRIPE_METADATA.plan]: plan.code,
      [STRIPE_METADATA.interval]: request.interval,
    };
    const trialDays = (await hadStripeSubscription(context, organizationId)) ? 0 : plan.trial_days;
    params = {
      ...base,
      mode: 'subscription',
      // Overage is billed in arrears from meter events, by the metered prices (no quantity).
      line_items: [{ price: prices.plan, quantity: 1 }, ...prices.metered.map((price) => ({ price }))],
      subscription_data: { metadata, ...(trialDays > 0 && { trial_period_days: trialDays }) },
      metadata,
    };
  } else {
    const pack = context.catalog.creditPack(request.creditPack);
    if (!pack) {
      throw badRequest('unknown_credit_pack', `credit pack "${request.creditPack}" is not in the catalog`, {
        field: 'credit_pack',
      });
    }
    const lookupKey = creditPackPriceLookupKey(request.creditPack);
    const price = await callStripe(() => stripePriceIdFor(context, lookupKey));
    if (!price) {
      throw new AppError(
        'catalog_not_synced',
        503,
        `Stripe has no price with lookup key "${lookupKey}"; run \`npm run tollgate -- stripe sync\``,
      );
    }
    // One purchase id names the purchase on the session and its payment, so either event grants it once.
    const metadata = {
      [STRIPE_METADATA.organization]: organizationId,
      [STRIPE_METADATA.creditPack]: request.creditPack,
      [STRIPE_METADATA.quantity]: String(request.quantity),
      tollgate_purchase_id: randomId('pur'),
    };
    params = {
      ...base,
      mode: 'payment',
      line_items: [{ price, quantity: request.quantity }],
      payment_intent_data: { metadata },
      metadata,
    };
  }
  const customer = await callStripe(() =>
    ensureStripeCustomer(context.db, gateway, organizationId, context.now()),
  );
  const session = await callStripe(() =>
    gateway.stripe.checkout.sessions.create({ ...params, customer: customer.customerId }),
  );
  if (!session.url)
    throw new AppError('stripe_error', 502, 'Stripe returned a Checkout Session without a URL');
  return { id: session.id, url: session.url, expires_at: new Date(session.expires_at * 1000).toISOString() };
}

/** A trial is offered once per organization: not again after any earlier Stripe subscription. */
async function hadStripeSubscription(context: AppContext, organizationId: string): Promise<boolean> {
  const [row] = await context.db
    .select({ id: subscriptions.id })
    .from(subscriptions)
    .where(
      and(eq(subscriptions.organizationId, organizationId), isNotNull(subscriptions.stripeSubscriptionId)),
    )
    .limit(1);
  return row !== undefined;
}
