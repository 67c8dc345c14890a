import type Stripe from 'stripe';
import { roundMinorUnits } from '../arithmetic/fraction.js';
import { errors } from '../http/errors.js';
import { behaviorOf, resolveCustomerPaymentMethod } from '../resources/payment-methods.js';
import type { Sandbox } from '../sandbox.js';
import { newId } from '../state/ids.js';
import type { Wire } from '../wire.js';
import { type DiscountRequest, resolveDiscount } from './coupons.js';
import { grantDiscount } from './discounts.js';
import { attemptInvoicePayment, createInvoice, finalizeInvoice, type Invoice } from './invoices.js';
import { paymentMethodFor } from './payments.js';
import { addInterval } from './periods.js';
import { amountForQuantity } from './rating.js';
import { buildItem, refuseMeteredQuantity } from './subscription-items.js';
import { licensedLines } from './subscription-lines.js';
import type { Subscription } from './subscription-state.js';

type Price = Wire<Stripe.Price>;

export interface SubscriptionRequest {
  customer: string;
  items: { price: string; quantity?: number; metadata?: Record<string, string> }[];
  trialPeriodDays?: number | null;
  trialEnd?: number | null;
  metadata?: Stripe.Metadata;
  defaultPaymentMethod?: string | null;
  automaticTax?: boolean;
  cancelAtPeriodEnd?: boolean;
  paymentBehavior?:
    | 'allow_incomplete'
    | 'default_incomplete'
    | 'error_if_incomplete'
    | 'pending_if_incomplete';
  description?: string | null;
  discounts?: DiscountRequest[];
}

/** The end of the period that starts at `start` for a recurring price. */
export function nextPeriodEnd(price: Price, start: number): number {
  const recurring = price.recurring;
  if (!recurring) throw errors.invalidValue('items', `The price ${price.id} is not recurring.`);
  return addInterval(start, recurring.interval, recurring.interval_count);
}

/** What the licensed items cost for one period, for a promotion code's minimum amount. */
function firstInvoiceAmount(prices: Price[], request: SubscriptionRequest): number {
  return prices.reduce((sum, price, index) => {
    if (price.recurring?.usage_type === 'metered') return sum;
    return sum + roundMinorUnits(amountForQuantity(price, request.items[index]?.quantity ?? 1));
  }, 0);
}

/**
 * `payment_behavior: error_if_incomplete`: when the first invoice could not be paid, Stripe answers 402
 * (or 400 without any payment method) and creates nothing, so the outcome is decided before writing.
 */
function refuseUnpayableStart(
  sandbox: Sandbox,
  customerId: string,
  preferred: string | null,
  prices: Price[],
): void {
  const chargesNow = prices.some(
    (price) => price.recurring?.usage_type !== 'metered' && (price.unit_amount ?? 1) !== 0,
  );
  if (!chargesNow) return;
  const method = paymentMethodFor(sandbox, customerId, preferred);
  if (!method) {
    throw errors.invalidRequest(
      'This customer has no attached payment source or default payment method. Please consider adding a default payment method.',
    );
  }
  const behavior = behaviorOf(sandbox, method);
  if (behavior?.behavior !== 'succeed') {
    throw errors.cardDeclined('Your card was declined.', behavior?.declineCode ?? 'generic_decline');
  }
}

/**
 * Creates a subscription and its first invoice. With a trial it starts `trialing` behind a zero invoice;
 * otherwise it starts `incomplete` and becomes `active` once the first invoice is paid.
 */
export function createSubscription(
  sandbox: Sandbox,
  request: SubscriptionRequest,
): { subscription: Subscription; invoice: Invoice } {
  const customer = sandbox.store.require<Wire<Stripe.Customer>>(
    'customers',
    request.customer,
    'customer',
    'customer',
  );
  const clockId = sandbox.clockOfCustomer(customer.id);
  const now = sandbox.now(clockId);
  if (request.items.length === 0) throw errors.missingParameter('items');
  const prices = request.items.map((item, index) => {
    const price = sandbox.store.require<Price>('prices', item.price, 'price', `items[${index}][price]`);
    refuseMeteredQuantity(price, item.quantity, `items[${index}][quantity]`);
    return price;
  });
  const firstPrice = prices[0] as Price;
  const defaultPaymentMethod = request.defaultPaymentMethod
    ? resolveCustomerPaymentMethod(
        sandbox,
        request.defaultPaymentMethod,
        customer.id,
        'default_payment_method',
      ).id
    : null;
  const trialDays = request.trialPeriodDays ?? null;
  const trialEnd = request.trialEnd ?? (trialDays ? now + trialDays * 86_400 : null);
  const periodEnd = trialEnd ?? nextPeriodEnd(firstPrice, now);
  const discounts = (request.discounts ?? []).map((discount, index) =>
    resolveDiscount(
      sandbox,
      discount,
      {
        customer: customer.id,
        currency: firstPrice.currency,
        amount: firstInvoiceAmount(prices, request),
        now,
      },
      `discounts[${index}]`,
    ),
  );
  if (request.paymentBehavior === 'error_if_incomplete' && trialEnd === null) {
    refuseUnpayableStart(sandbox, customer.id, defaultPaymentMethod, prices);
  }
  const id = newId('sub');
  const subscription: Subscription = {
    id,
    object: 'subscription',
    application: null,
    application_fee_percent: null,
    automatic_tax: {
      disabled_reason: null,
      enabled: request.automaticTax ?? false,
      liability: request.automaticTax ? { type: 'self' } : null,
    },
    billing_cycle_anchor: periodEnd === trialEnd ? periodEnd : now,
    billing_cycle_anchor_config: null,
    billing_mode: { type: 'classic', flexible: null },
    billing_schedules: [],
    billing_thresholds: null,
    cancel_at: null,
    cancel_at_period_end: request.cancelAtPeriodEnd ?? false,
    canceled_at: null,
    cancellation_details: { comment: null, feedback: null, feedback_option: null, reason: null },
    collection_method: 'charge_automatically',
    created: now,
    currency: firstPrice.currency,
    customer: customer.id,
    customer_account: null,
    days_until_due: null,
    default_payment_method: defaultPaymentMethod,
    default_source: null,
    default_tax_rates: [],
    description: request.description ?? null,
    discounts: [],
    ended_at: null,
    invoice_settings: {
      account_tax_ids: null,
      custom_fields: null,
      description: null,
      footer: null,
      issuer: { type: 'self' },
    },
    items: { object: 'list', data: [], has_more: false, url: `/v1/subscription_items?subscription=${id}` },
    latest_invoice: null,
    livemode: false,
    managed_payments: null,
    metadata: request.metadata ?? {},
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: {
      payment_method_options: null,
      payment_method_types: null,
      save_default_payment_method: 'off',
    },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: now,
    status: trialEnd ? 'trialing' : 'incomplete',
    test_clock: clockId,
    transfer_data: null,
    trial_end: trialEnd,
    trial_settings: {
      end_behavior: { billing_cycle_anchor: null, missing_payment_method: 'create_invoice' },
    },
    trial_start: trialEnd ? now : null,
  };
  subscription.items.data = request.items.map((item, index) =>
    buildItem(
      sandbox,
      id,
      prices[index] as Price,
      item.quantity,
      { start: now, end: periodEnd },
      clockId,
      item.metadata,
    ),
  );
  subscription.discounts = discounts.map(
    (resolved) => grantDiscount(sandbox, resolved, { customer: customer.id, subscription: id }, now).id,
  );
  sandbox.store.insert('subscriptions', subscription);
  sandbox.emit('customer.subscription.created', subscription, { clockId });

  const invoice = createInvoice(sandbox, {
    customer: customer.id,
    subscription: id,
    lines: licensedLines(sandbox, subscription, { start: now, end: periodEnd }, trialEnd !== null),
    billingReason: 'subscription_create',
    periodStart: now,
    periodEnd: now,
    automaticTax: request.automaticTax ?? false,
  });
  subscription.latest_invoice = invoice.id;
  sandbox.store.put('subscriptions', subscription);
  finalizeInvoice(sandbox, invoice);
  if (request.paymentBehavior !== 'default_incomplete' || invoice.amount_due === 0) {
    attemptInvoicePayment(sandbox, invoice, defaultPaymentMethod);
  }
  return { subscription: sandbox.store.get<Subscription>('subscriptions', id) as Subscription, invoice };
}
