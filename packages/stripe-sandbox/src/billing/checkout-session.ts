import type Stripe from 'stripe';
import { roundMinorUnits } from '../arithmetic/fraction.js';
import { errors } from '../http/errors.js';
import type { Sandbox } from '../sandbox.js';
import { newId, randomToken } from '../state/ids.js';
import type { Wire } from '../wire.js';
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
  allow_promotion_codes?: boolean;
  billing_address_collection?: 'auto' | 'required';
  expires_at?: number;
  locale?: string;
  invoice_creation?: { enabled: boolean };
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
  const prices = (request.line_items ?? []).map((item, index) =>
    sandbox.store.require<Price>('prices', item.price, 'price', `line_items[${index}][price]`),
  );
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
  const trial = Boolean(request.subscription_data?.trial_period_days || request.subscription_data?.trial_end);
  const customer = request.customer
    ? sandbox.store.get<Wire<Stripe.Customer>>('customers', request.customer)
    : undefined;
  const subtotal = lineItems
    .filter((item) => !(trial && item.price?.recurring?.usage_type === 'licensed'))
    .filter((item) => item.price?.recurring?.usage_type !== 'metered')
    .reduce((sum, item) => sum + item.amount_subtotal, 0);
  const tax =
    request.automatic_tax?.enabled && customer
      ? computeTax(subtotal, customer.address, customer.tax_exempt).amount
      : 0;
  const clockId = sandbox.clockOfCustomer(request.customer);
  const now = sandbox.now(clockId);
  const id = `cs_test_${randomToken(58)}`;
  const session: CheckoutSession = {
    id,
    object: 'checkout.session',
    adaptive_pricing: null,
    after_expiration: null,
    allow_promotion_codes: request.allow_promotion_codes ?? null,
    allowed_payment_method_types: null,
    amount_subtotal: subtotal,
    amount_total: subtotal + tax,
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
    currency: request.currency ?? prices[0]?.currency ?? null,
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
    discounts: [],
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
    payment_method_types: request.payment_method_types ?? ['card'],
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
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: tax },
    ui_mode: 'hosted',
    url: `${sandbox.baseUrl}/checkout/${id}`,
    wallet_options: null,
  };
  sandbox.store.insert('checkout_sessions', session);
  sandbox.store.put<StoredCheckoutExtras>('_checkout_extras', { id, lineItems, request });
  return session;
}
