import {
  type BillingInterval,
  creditPackPriceLookupKey,
  overagePriceLookupKey,
  planPriceLookupKey,
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
import { callStripe, requireStripe } from '../stripe/stripe-errors.js';
import { ensureStripeCustomer } from './stripe-customers.js';

export type CheckoutRequest =
  | { kind: 'subscription'; plan: string; interval: BillingInterval; successUrl: string; cancelUrl: string }
  | { kind: 'credit_pack'; creditPack: string; quantity: number; successUrl: string; cancelUrl: string };

export type CheckoutResult = { id: string; url: string; expires_at: string };

/** Card and US bank accounts always; the catalog may add others. */
const PAYMENT_METHOD_TYPES: Stripe.Checkout.SessionCreateParams.AllowedPaymentMethodType[] = [
  'card',
  'us_bank_account',
];

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
    automatic_tax: { enabled: true },
    tax_id_collection: { enabled: true },
    billing_address_collection: 'required' as const,
    customer_update: { address: 'auto' as const, name: 'auto' as const },
    allowed_payment_method_types: PAYMENT_METHOD_TYPES,
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
    const overageKeys = Object.entries(plan.features).flatMap(([feature, grant]) =>
      typeof grant === 'object' && grant.overage
        ? [overagePriceLookupKey(plan.code, feature, request.interval)]
        : [],
    );
    const lookupKeys = [planPriceLookupKey(plan.code, request.interval), ...overageKeys];
    const prices = await callStripe(() => gateway.prices.prices(lookupKeys));
    const planPrice =
      prices.get(lookupKeys[0] as string) ??
      (await callStripe(() => gateway.prices.require(lookupKeys[0] as string)));
    const metadata = {
      [STRIPE_METADATA.organization]: organizationId,
      [STRIPE_METADATA.plan]: plan.code,
      [STRIPE_METADATA.interval]: request.interval,
    };
    const trialDays = (await hadStripeSubscription(context, organizationId)) ? 0 : plan.trial_days;
    params = {
      ...base,
      mode: 'subscription',
      line_items: [
        { price: planPrice.id, quantity: 1 },
        // Overage is billed in arrears from meter events; a plan synced without its meters still sells.
        ...overageKeys.flatMap((key) => {
          const metered = prices.get(key);
          return metered ? [{ price: metered.id }] : [];
        }),
      ],
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
    const price = await callStripe(() =>
      gateway.prices.require(creditPackPriceLookupKey(request.creditPack)),
    );
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
      line_items: [{ price: price.id, quantity: request.quantity }],
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
