import type Stripe from 'stripe';
import { errors } from '../http/errors.js';
import { createCustomer, updateCustomer } from '../resources/customers.js';
import { attachPaymentMethod, behaviorOf } from '../resources/payment-methods.js';
import { createTaxId } from '../resources/tax-ids.js';
import type { Sandbox } from '../sandbox.js';
import { newId } from '../state/ids.js';
import type { Wire } from '../wire.js';
import { cardForToken, isTestToken } from './cards.js';
import {
  type CheckoutRequest,
  type CheckoutSession,
  resolveSessionDiscounts,
  type StoredCheckoutExtras,
  sessionAmounts,
  sessionDiscountsField,
} from './checkout-session.js';
import { type DiscountRequest, promotionCodeByCode } from './coupons.js';
import { grantDiscount } from './discounts.js';
import { charge } from './payments.js';
import { createSubscription } from './subscriptions.js';

type Customer = Wire<Stripe.Customer>;

export interface CompletionInput {
  /** A payment method id or a test token such as `pm_card_visa`. */
  paymentMethod: string;
  email?: string;
  name?: string;
  address?: Partial<Stripe.Address>;
  taxId?: { type: string; value: string };
  /** A promotion code the customer typed, on sessions with `allow_promotion_codes`. */
  promotionCode?: string;
}

/** The discount the session was created with, or the promotion code typed on the page. */
function discountRequests(
  sandbox: Sandbox,
  request: CheckoutRequest,
  typed: string | undefined,
): DiscountRequest[] {
  if (typed === undefined || typed.trim() === '') return request.discounts ?? [];
  if (!request.allow_promotion_codes) {
    throw errors.invalidValue('promotion_code', 'This Checkout Session does not accept promotion codes.');
  }
  const code = promotionCodeByCode(sandbox, typed);
  if (!code)
    throw errors.invalidValue('promotion_code', `The promotion code \`${typed.trim()}\` is not valid.`);
  return [{ promotion_code: code.id }];
}

/** The test behaviour of a token or stored payment method, known before anything is written. */
function behaviorBeforeAttach(
  sandbox: Sandbox,
  paymentMethod: string,
): { behavior: string; declineCode: string | null } {
  if (isTestToken(paymentMethod)) {
    const card = cardForToken(paymentMethod);
    return card
      ? { behavior: card.behavior, declineCode: card.declineCode }
      : { behavior: 'succeed', declineCode: null };
  }
  sandbox.store.require('payment_methods', paymentMethod, 'PaymentMethod', 'payment_method');
  return behaviorOf(sandbox, paymentMethod) ?? { behavior: 'decline', declineCode: 'generic_decline' };
}

/**
 * What paying on the hosted page does: find or create the customer, attach the card, then subscribe,
 * charge or just save the card, and emit `checkout.session.completed`. A declined card leaves the
 * session open and answers with Stripe's card error.
 */
export function completeCheckout(
  sandbox: Sandbox,
  session: CheckoutSession,
  input: CompletionInput,
): CheckoutSession {
  if (session.status !== 'open') {
    throw errors.stateConflict(
      `This Checkout Session is ${session.status ?? 'not open'} and can no longer be completed.`,
    );
  }
  const extras = sandbox.store.require<StoredCheckoutExtras>(
    '_checkout_extras',
    session.id,
    'checkout session',
  );
  const request = extras.request;
  const trialDays = request.subscription_data?.trial_period_days ?? null;
  const trialEnd = request.subscription_data?.trial_end ?? null;
  // Decide the discount and the card's fate first, so a refusal leaves no customer or card behind.
  const requests = discountRequests(sandbox, request, input.promotionCode);
  const now = sandbox.now(sandbox.clockOfCustomer(session.customer as string | null));
  const discounts = resolveSessionDiscounts(sandbox, requests, {
    customer: (session.customer as string | null) ?? null,
    currency: session.currency,
    amount: session.amount_subtotal ?? 0,
    now,
  });
  const amounts = sessionAmounts(sandbox, extras.lineItems, request, discounts);
  const card = behaviorBeforeAttach(sandbox, input.paymentMethod);
  const chargedNow =
    session.mode === 'payment' || (session.mode === 'subscription' && !trialDays && !trialEnd);
  if (card.behavior === 'decline' || (chargedNow && card.behavior !== 'succeed')) {
    throw errors.cardDeclined('Your card was declined.', card.declineCode ?? 'generic_decline');
  }
  session.discounts = sessionDiscountsField(discounts);
  session.amount_total = amounts.total;
  session.total_details = { amount_discount: amounts.discount, amount_shipping: 0, amount_tax: amounts.tax };
  let customer: Customer;
  if (session.customer) {
    customer = sandbox.store.require<Customer>('customers', session.customer as string, 'customer');
    if (input.address && !customer.address)
      customer = updateCustomer(sandbox, customer, { address: input.address });
  } else {
    customer = createCustomer(sandbox, {
      email: session.customer_email ?? input.email ?? null,
      name: input.name ?? null,
      address: input.address ?? null,
    });
  }
  if (input.taxId && request.tax_id_collection?.enabled) createTaxId(sandbox, customer.id, input.taxId);
  const method = attachPaymentMethod(sandbox, input.paymentMethod, customer.id);

  if (session.mode === 'subscription') {
    customer = updateCustomer(sandbox, customer, { invoice_settings: { default_payment_method: method.id } });
    const { subscription, invoice } = createSubscription(sandbox, {
      customer: customer.id,
      items: extras.lineItems
        .filter((item) => item.price?.type === 'recurring')
        .map((item) => ({
          price: item.price?.id as string,
          quantity: item.price?.recurring?.usage_type === 'metered' ? undefined : (item.quantity ?? 1),
        })),
      trialPeriodDays: trialDays,
      trialEnd,
      metadata: Object.fromEntries(
        Object.entries(request.subscription_data?.metadata ?? {}).filter(([, value]) => value !== null),
      ) as Stripe.Metadata,
      defaultPaymentMethod: method.id,
      automaticTax: request.automatic_tax?.enabled ?? false,
      description: request.subscription_data?.description ?? null,
      discounts: requests,
    });
    session.subscription = subscription.id;
    session.invoice = invoice.id;
    session.payment_status = invoice.amount_due === 0 ? 'no_payment_required' : 'paid';
    session.amount_total = invoice.total;
    session.amount_subtotal = invoice.subtotal;
  } else if (session.mode === 'payment') {
    const outcome = charge(sandbox, {
      customer: customer.id,
      amount: session.amount_total ?? 0,
      currency: session.currency ?? 'usd',
      paymentMethod: method.id,
      description: null,
      metadata: Object.fromEntries(
        Object.entries(request.payment_intent_data?.metadata ?? {}).filter(([, value]) => value !== null),
      ) as Stripe.Metadata,
    });
    if (!outcome.succeeded)
      throw errors.cardDeclined(
        'Your card was declined.',
        outcome.declineCode ?? 'generic_decline',
        outcome.intent,
      );
    session.payment_intent = outcome.intent.id;
    session.payment_status = 'paid';
    for (const resolved of discounts) {
      grantDiscount(sandbox, resolved, { customer: customer.id, checkoutSession: session.id }, now);
    }
  } else {
    session.setup_intent = newId('seti');
  }
  session.customer = customer.id;
  session.customer_details = {
    address: customer.address ?? null,
    business_name: null,
    email: customer.email,
    individual_name: null,
    name: customer.name ?? null,
    phone: customer.phone ?? null,
    tax_exempt: customer.tax_exempt ?? 'none',
    tax_ids: input.taxId
      ? [
          {
            type: input.taxId.type as Stripe.Checkout.Session.CustomerDetails.TaxId.Type,
            value: input.taxId.value,
          },
        ]
      : [],
  };
  session.status = 'complete';
  session.url = null;
  sandbox.store.put('checkout_sessions', session);
  sandbox.emit('checkout.session.completed', session, { clockId: sandbox.clockOfCustomer(customer.id) });
  return session;
}
