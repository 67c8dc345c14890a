import type Stripe from 'stripe';
import { type CompletionInput, completeCheckout } from '../billing/checkout-completion.js';
import {
  type CheckoutRequest,
  type CheckoutSession,
  createCheckoutSession,
  type StoredCheckoutExtras,
} from '../billing/checkout-session.js';
import { errors } from '../http/errors.js';
import { inRange, type ListParams, listParams, matchesEquals, paginate } from '../http/list.js';
import {
  addressSpec,
  any,
  arr,
  bool,
  int,
  metadata,
  obj,
  oneOf,
  required,
  type Spec,
  str,
  validateParams,
} from '../http/params.js';
import type { Router } from '../http/router.js';
import type { Sandbox } from '../sandbox.js';

const createSpec: Record<string, Spec> = {
  mode: required(oneOf(['payment', 'setup', 'subscription'])),
  success_url: str(),
  cancel_url: str(),
  customer: str(),
  customer_email: str(),
  customer_creation: oneOf(['always', 'if_required']),
  client_reference_id: str(),
  metadata: metadata(),
  line_items: arr(obj({ price: required(str()), quantity: int(), adjustable_quantity: any() })),
  currency: str(),
  subscription_data: obj({
    trial_period_days: int(),
    trial_end: int(),
    metadata: metadata(),
    description: str(),
    trial_settings: any(),
  }),
  payment_intent_data: obj({ metadata: metadata(), description: str(), setup_future_usage: str() }),
  automatic_tax: obj({ enabled: required(bool()) }),
  tax_id_collection: obj({ enabled: required(bool()), required: str() }),
  payment_method_types: arr(oneOf(['card', 'us_bank_account', 'link', 'sepa_debit', 'ideal'])),
  // API 2026-10-28 names the list allowed_payment_method_types (SDK v23); the older name still works.
  allowed_payment_method_types: arr(oneOf(['card', 'us_bank_account', 'link', 'sepa_debit', 'ideal'])),
  allow_promotion_codes: bool(),
  discounts: arr(obj({ coupon: str(), promotion_code: str() })),
  billing_address_collection: oneOf(['auto', 'required']),
  customer_update: obj({
    address: oneOf(['auto', 'never']),
    name: oneOf(['auto', 'never']),
    shipping: oneOf(['auto', 'never']),
  }),
  expires_at: int(),
  locale: str(),
  invoice_creation: obj({ enabled: required(bool()), invoice_data: any() }),
  ui_mode: oneOf(['hosted']),
  payment_method_collection: oneOf(['always', 'if_required']),
  // Presentation-only options: accepted so real integrations run unchanged, with no effect on the page.
  consent_collection: any(),
  custom_text: any(),
  custom_fields: any(),
  phone_number_collection: any(),
  submit_type: oneOf(['auto', 'book', 'donate', 'pay', 'subscribe']),
  payment_method_options: any(),
  saved_payment_method_options: any(),
};

function load(sandbox: Sandbox, id: string): CheckoutSession {
  return sandbox.store.require<CheckoutSession>('checkout_sessions', id, 'checkout.session');
}

function withLineItems(sandbox: Sandbox, session: CheckoutSession, expand: unknown): CheckoutSession {
  if (!Array.isArray(expand) || !expand.includes('line_items')) return session;
  const extras = sandbox.store.get<StoredCheckoutExtras>('_checkout_extras', session.id);
  return {
    ...session,
    line_items: {
      object: 'list',
      data: extras?.lineItems ?? [],
      has_more: false,
      url: `/v1/checkout/sessions/${session.id}/line_items`,
    },
  };
}

export function registerCheckoutSessions(router: Router): void {
  router.api('POST', '/v1/checkout/sessions', ({ sandbox, body }) =>
    withLineItems(
      sandbox,
      createCheckoutSession(sandbox, validateParams<CheckoutRequest>(createSpec, body)),
      body.expand,
    ),
  );
  router.api('GET', '/v1/checkout/sessions/:id', ({ sandbox, body, params }) =>
    withLineItems(sandbox, load(sandbox, params.id as string), body.expand),
  );
  router.api('GET', '/v1/checkout/sessions/:id/line_items', ({ sandbox, body, params }) => {
    const session = load(sandbox, params.id as string);
    const extras = sandbox.store.get<StoredCheckoutExtras>('_checkout_extras', session.id);
    return paginate(
      (extras?.lineItems ?? []) as Stripe.LineItem[],
      validateParams<ListParams>(listParams, body),
      `/v1/checkout/sessions/${session.id}/line_items`,
    );
  });
  router.api('POST', '/v1/checkout/sessions/:id/expire', ({ sandbox, params }) => {
    const session = load(sandbox, params.id as string);
    if (session.status !== 'open')
      throw errors.stateConflict(`Only Checkout Sessions with a status of 'open' can be expired.`);
    session.status = 'expired';
    session.url = null;
    sandbox.store.put('checkout_sessions', session);
    sandbox.emit('checkout.session.expired', session);
    return session;
  });
  router.api('GET', '/v1/checkout/sessions', ({ sandbox, body }) => {
    const params = validateParams<
      ListParams & {
        customer?: string;
        subscription?: string;
        payment_intent?: string;
        status?: string;
        created?: unknown;
      }
    >(
      {
        ...listParams,
        customer: str(),
        subscription: str(),
        payment_intent: str(),
        status: oneOf(['open', 'complete', 'expired']),
        created: any(),
      },
      body,
    );
    const rows = sandbox.store
      .all<CheckoutSession>('checkout_sessions')
      .filter(
        (row) =>
          matchesEquals(row, params, ['customer', 'subscription', 'payment_intent', 'status']) &&
          inRange(row.created, params.created),
      );
    return paginate(rows, params, '/v1/checkout/sessions');
  });
  /** The sandbox's stand-in for paying on the hosted page, for tests without a browser. */
  router.api('POST', '/v1/test_helpers/checkout/sessions/:id/complete', ({ sandbox, body, params }) => {
    const input = validateParams<{
      payment_method?: string;
      email?: string;
      name?: string;
      address?: Partial<Stripe.Address>;
      tax_id?: { type: string; value: string };
      promotion_code?: string;
    }>(
      {
        promotion_code: str(),
        payment_method: str(),
        email: str(),
        name: str(),
        address: addressSpec(),
        tax_id: obj({ type: required(str()), value: required(str()) }),
      },
      body,
    );
    const completion: CompletionInput = {
      paymentMethod: input.payment_method ?? 'pm_card_visa',
      email: input.email,
      name: input.name,
      address: input.address ?? undefined,
      taxId: input.tax_id,
      promotionCode: input.promotion_code,
    };
    return completeCheckout(sandbox, load(sandbox, params.id as string), completion);
  });
}
