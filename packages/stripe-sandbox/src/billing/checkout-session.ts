import type Stripe from 'stripe';
import { roundMinorUnits } from '../arithmetic/fraction.js';
import { errors } from '../http/errors.js';
import type { Sandbox } from '../sandbox.js';
import { newId, randomToken } from '../state/ids.js';
import type { Wire } from '../wire.js';
import { type DiscountRequest, type ResolvedDiscount, resolveDiscount } from './coupons.js';
import { allocateDiscount } from './discounts.js';
import { amountForQuantity } from './rating.js';
import { productName } from './subscription-lines.js';
import { computeTax } from './tax.js';

export type CheckoutSession = Wire<Stripe.Checkout.Session>;
type Price = Wire<Stripe.Price>;
export type CheckoutLineItem = Wire<Stripe.LineItem>;

export interface CheckoutRequest {
  mode: Stripe.Checkout.Session.Mode;
  success_url?: string;
  cancel_url?: string;
  customer?: string;
  customer_email?: string;
  customer_creation?: 'always' | 'if_required';
  client_reference_id?: string;
  metadata?: Record<string, string | null>;
  line_items?: { price: string; quantity?: number }[];
  currency?: string;
  subscription_data?: {
    trial_period_days?: number;
    trial_end?: number;
    metadata?: Record<string, string | null>;
    description?: string;
  };
  payment_intent_data?: { metadata?: Record<string, string | null>; description?: string };
  automatic_tax?: { enabled: boolean };
  tax_id_collection?: { enabled: boolean };
  payment_method_types?: string[];
  allowed_payment_method_types?: string[];
  allow_promotion_codes?: boolean;
  billing_address_collection?: 'auto' | 'required';
  expires_at?: number;
  locale?: string;
  invoice_creation?: { enabled: boolean };
  discounts?: DiscountRequest[];
}

export interface StoredCheckoutExtras {
  id: string;
  lineItems: CheckoutLineItem[];
  request: CheckoutRequest;
}

function lineItem(sandbox: Sandbox, price: Price, quantity: number): CheckoutLineItem {
  const amount = roundMinorUnits(amountForQuantity(price, quantity));
  return {
    id: newId('li'),
    object: 'item',
    adjustable_quantity: null,
    amount_discount: 0,
    amount_subtotal: amount,
    amount_tax: 0,
    amount_total: amount,
    currency: price.currency,
    description: productName(sandbox, price),
    metadata: {},
    price,
    quantity,
  };
}

export interface SessionAmounts {
  subtotal: number;
  discount: number;
  tax: number;
  total: number;
}

/**
 * What the session charges today: licensed items (none during a trial) and one-time prices, less the
 * discounts, plus tax on what is left. Metered items are billed later, by usage. Each line item's
 * `amount_discount` and `amount_total` are set along the way.
 */
export function sessionAmounts(
  sandbox: Sandbox,
  lineItems: CheckoutLineItem[],
  request: CheckoutRequest,
  discounts: ResolvedDiscount[],
): SessionAmounts {
  const trial = Boolean(request.subscription_data?.trial_period_days || request.subscription_data?.trial_end);
  const dueNow = lineItems.filter(
    (item) =>
      !(trial && item.price?.recurring?.usage_type === 'licensed') &&
      item.price?.recurring?.usage_type !== 'metered',
  );
  const remaining = dueNow.map((item) => item.amount_subtotal);
  for (const { coupon } of discounts) {
    const products = coupon.applies_to?.products;
    const eligible = dueNow.map((item) => !products || products.includes(item.price?.product as string));
    allocateDiscount(remaining, eligible, coupon).forEach((share, index) => {
      remaining[index] = (remaining[index] as number) - share;
    });
  }
  dueNow.forEach((item, index) => {
    item.amount_discount = item.amount_subtotal - (remaining[index] as number);
    item.amount_total = remaining[index] as number;
  });
  const subtotal = dueNow.reduce((sum, item) => sum + item.amount_subtotal, 0);
  const afterDiscount = remaining.reduce((sum, amount) => sum + amount, 0);
  const customer = request.customer
    ? sandbox.store.get<Wire<Stripe.Customer>>('customers', request.customer)
    : undefined;
  const tax =
    request.automatic_tax?.enabled && customer
      ? computeTax(afterDiscount, customer.address, customer.tax_exempt).amount
      : 0;
  return { subtotal, discount: subtotal - afterDiscount, tax, total: afterDiscount + tax };
}

/** Checkout takes one discount, given up front or typed on the page (`allow_promotion_codes`), not both. */
export function resolveSessionDiscounts(
  sandbox: Sandbox,
  requests: DiscountRequest[],
  context: { customer: string | null; currency: string | null; amount: number; now: number },
): ResolvedDiscount[] {
  if (requests.length > 1) throw errors.invalidValue('discounts', 'You may only specify one discount.');
  return requests.map((request, index) => resolveDiscount(sandbox, request, context, `discounts[${index}]`));
}

export function sessionDiscountsField(
  resolved: ResolvedDiscount[],
): Wire<Stripe.Checkout.Session.Discount>[] {
  return resolved.map(({ coupon, promotionCode }) => ({
    coupon: promotionCode ? null : coupon.id,
    promotion_code: promotionCode?.id ?? null,
  }));
}

/** Validates the mode's rules and stores an open session whose `url` is the sandbox's hosted page. */
export function createCheckoutSession(sandbox: Sandbox, request: CheckoutRequest): CheckoutSession {
  if (request.mode !== 'setup' && (!request.line_items || request.line_items.length === 0))
    throw errors.missingParameter('line_items');
  if (!request.success_url) throw errors.missingParameter('success_url');
  if (request.customer) sandbox.store.require('customers', request.customer, 'customer', 'customer');
  if (request.customer && request.customer_email) {
    throw errors.invalidValue(
      'customer_email',
      'You may only specify one of these parameters: customer, customer_email.',
    );
  }
  const prices = (request.line_items ?? []).map((item, index) => {
    const price = sandbox.store.require<Price>('prices', item.price, 'price', `line_items[${index}][price]`);
    if (item.quantity === undefined && price.recurring?.usage_type !== 'metered') {
      throw errors.invalidValue(
        `line_items[${index}][quantity]`,
        `Quantity is required. Add \`quantity\` to \`line_items[${index}]\`.`,
      );
    }
    if (item.quantity !== undefined && price.recurring?.usage_type === 'metered') {
      throw errors.invalidValue(
        `line_items[${index}][quantity]`,
        `Quantity should not be specified where usage_type is \`metered\`. Remove quantity from \`line_items[${index}]\`.`,
      );
    }
    return price;
  });
  if (request.mode === 'subscription' && !prices.some((price) => price.type === 'recurring')) {
    throw errors.invalidValue(
      'line_items',
      'You must provide at least one recurring price in `subscription` mode when using prices.',
    );
  }
  if (request.mode === 'payment' && prices.some((price) => price.type === 'recurring')) {
    throw errors.invalidValue(
      'line_items',
      'You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.',
    );
  }
  if (request.mode === 'setup' && !request.currency && !request.customer)
    throw errors.missingParameter('currency');
  const lineItems = prices.map((price, index) =>
    lineItem(sandbox, price, request.line_items?.[index]?.quantity ?? 1),
  );
  const customer = request.customer
    ? sandbox.store.get<Wire<Stripe.Customer>>('customers', request.customer)
    : undefined;
  const clockId = sandbox.clockOfCustomer(request.customer);
  const now = sandbox.now(clockId);
  if (request.discounts && request.allow_promotion_codes) {
    throw errors.invalidValue(
      'discounts',
      'You may only specify one of these parameters: allow_promotion_codes, discounts.',
    );
  }
  const currency = request.currency ?? prices[0]?.currency ?? null;
  const discounts = resolveSessionDiscounts(sandbox, request.discounts ?? [], {
    customer: request.customer ?? null,
    currency,
    amount: sessionAmounts(sandbox, lineItems, request, []).subtotal,
    now,
  });
  const amounts = sessionAmounts(sandbox, lineItems, request, discounts);
  const id = `cs_test_${randomToken(58)}`;
  const session: CheckoutSession = {
    id,
    object: 'checkout.session',
    adaptive_pricing: null,
    after_expiration: null,
    allow_promotion_codes: request.allow_promotion_codes ?? null,
    allowed_payment_method_types: request.allowed_payment_method_types ?? null,
    amount_subtotal: amounts.subtotal,
    amount_total: amounts.total,
    automatic_tax: {
      enabled: request.automatic_tax?.enabled ?? false,
      liability: request.automatic_tax?.enabled ? { type: 'self' } : null,
      provider: request.automatic_tax?.enabled ? 'stripe' : null,
      status: request.automatic_tax?.enabled
        ? customer?.address
          ? 'complete'
          : 'requires_location_inputs'
        : null,
    },
    billing_address_collection: request.billing_address_collection ?? null,
    cancel_url: request.cancel_url ?? null,
    client_reference_id: request.client_reference_id ?? null,
    client_secret: null,
    collected_information: null,
    consent: null,
    consent_collection: null,
    created: now,
    currency,
    currency_conversion: null,
    custom_fields: [],
    custom_text: {
      after_submit: null,
      shipping_address: null,
      submit: null,
      terms_of_service_acceptance: null,
    },
    customer: request.customer ?? null,
    customer_account: null,
    customer_creation: request.customer
      ? null
      : (request.customer_creation ?? (request.mode === 'payment' ? 'if_required' : 'always')),
    customer_details: null,
    customer_email: request.customer_email ?? null,
    discounts: sessionDiscountsField(discounts),
    expires_at: request.expires_at ?? now + 24 * 3600,
    integration_identifier: null,
    invoice: null,
    invoice_creation:
      request.mode === 'payment'
        ? {
            enabled: request.invoice_creation?.enabled ?? false,
            invoice_data: {
              account_tax_ids: null,
              custom_fields: null,
              description: null,
              footer: null,
              issuer: null,
              metadata: {},
              rendering_options: null,
            },
          }
        : null,
    livemode: false,
    locale: (request.locale ?? null) as Stripe.Checkout.Session.Locale | null,
    managed_payments: null,
    metadata: Object.fromEntries(
      Object.entries(request.metadata ?? {}).filter(([, value]) => value !== null),
    ) as Stripe.Metadata,
    mode: request.mode,
    origin_context: null,
    payment_intent: null,
    payment_link: null,
    payment_method_collection: request.mode === 'subscription' ? 'always' : null,
    payment_method_configuration_details: null,
    payment_method_options: {},
    payment_method_types: request.allowed_payment_method_types ?? request.payment_method_types ?? ['card'],
    payment_status: request.mode === 'setup' ? 'no_payment_required' : 'unpaid',
    permissions: null,
    phone_number_collection: { enabled: false },
    recovered_from: null,
    saved_payment_method_options: null,
    setup_intent: null,
    shipping_address_collection: null,
    shipping_cost: null,
    shipping_options: [],
    status: 'open',
    submit_type: null,
    subscription: null,
    success_url: request.success_url,
    tax_id_collection: { enabled: request.tax_id_collection?.enabled ?? false, required: 'never' },
    total_details: { amount_discount: amounts.discount, amount_shipping: 0, amount_tax: amounts.tax },
    ui_mode: 'hosted',
    url: `${sandbox.baseUrl}/checkout/${id}`,
    wallet_options: null,
  };
  sandbox.store.insert('checkout_sessions', session);
  sandbox.store.put<StoredCheckoutExtras>('_checkout_extras', { id, lineItems, request });
  return session;
}
