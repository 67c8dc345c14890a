import type Stripe from 'stripe';
import {
  type CardBehavior,
  cardForToken,
  isTestToken,
  type TestCard,
  US_BANK_ACCOUNT_TOKEN,
} from '../billing/cards.js';
import { errors } from '../http/errors.js';
import { type ListParams, listParams, paginate } from '../http/list.js';
import { oneOf, required, str, validateParams } from '../http/params.js';
import type { Router } from '../http/router.js';
import type { Sandbox } from '../sandbox.js';
import { newId, randomToken } from '../state/ids.js';
import type { Wire } from '../wire.js';

export type PaymentMethod = Wire<Stripe.PaymentMethod>;

interface Behavior {
  id: string;
  behavior: CardBehavior;
  declineCode: string | null;
}

export function behaviorOf(sandbox: Sandbox, paymentMethodId: string | null): Behavior | null {
  if (!paymentMethodId) return null;
  return sandbox.store.get<Behavior>('_payment_method_behavior', paymentMethodId) ?? null;
}

export function createCardPaymentMethod(
  sandbox: Sandbox,
  card: TestCard,
  customerId: string | null,
): PaymentMethod {
  const method: PaymentMethod = {
    id: newId('pm'),
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: {
      address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
      email: null,
      name: null,
      phone: null,
      tax_id: null,
    },
    card: {
      brand: card.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
      country: 'US',
      display_brand: card.brand,
      exp_month: 12,
      exp_year: new Date().getUTCFullYear() + 3,
      fingerprint: randomToken(16),
      funding: 'credit',
      generated_from: null,
      last4: card.number.slice(-4),
      networks: { available: [card.brand], preferred: null },
      regulated_status: 'unregulated',
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created: sandbox.now(sandbox.clockOfCustomer(customerId)),
    customer: customerId,
    customer_account: null,
    livemode: false,
    metadata: {},
    type: 'card',
  };
  sandbox.store.insert('payment_methods', method);
  sandbox.store.put('_payment_method_behavior', {
    id: method.id,
    behavior: card.behavior,
    declineCode: card.declineCode,
  });
  return method;
}

function createBankPaymentMethod(sandbox: Sandbox, customerId: string | null): PaymentMethod {
  const method: PaymentMethod = {
    id: newId('pm'),
    object: 'payment_method',
    billing_details: {
      address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
      email: null,
      name: 'Test Account Holder',
      phone: null,
      tax_id: null,
    },
    created: sandbox.now(sandbox.clockOfCustomer(customerId)),
    customer: customerId,
    customer_account: null,
    livemode: false,
    metadata: {},
    type: 'us_bank_account',
    us_bank_account: {
      account_holder_type: 'individual',
      account_type: 'checking',
      bank_name: 'STRIPE TEST BANK',
      financial_connections_account: null,
      fingerprint: randomToken(16),
      last4: '6789',
      networks: { preferred: 'ach', supported: ['ach'] },
      routing_number: '110000000',
      status_details: null,
    },
  };
  sandbox.store.insert('payment_methods', method);
  sandbox.store.put('_payment_method_behavior', { id: method.id, behavior: 'succeed', declineCode: null });
  return method;
}

/**
 * Turns a test token (`pm_card_visa` …) into a payment method attached to the customer, or attaches an
 * existing one. Cards that Stripe declines on attach (4000 0000 0000 0002) fail here with a card error.
 */
export function attachPaymentMethod(sandbox: Sandbox, idOrToken: string, customerId: string): PaymentMethod {
  let method: PaymentMethod;
  if (isTestToken(idOrToken)) {
    const card = cardForToken(idOrToken);
    method = card ? createCardPaymentMethod(sandbox, card, null) : createBankPaymentMethod(sandbox, null);
  } else {
    method = sandbox.store.require<PaymentMethod>(
      'payment_methods',
      idOrToken,
      'PaymentMethod',
      'payment_method',
    );
  }
  const behavior = behaviorOf(sandbox, method.id);
  if (behavior?.behavior === 'decline') {
    throw errors.cardDeclined('Your card was declined.', behavior.declineCode ?? 'generic_decline');
  }
  method.customer = customerId;
  sandbox.store.put('payment_methods', method);
  sandbox.emit('payment_method.attached', method, { clockId: sandbox.clockOfCustomer(customerId) });
  return method;
}

/**
 * A payment method named for a customer's default (`invoice_settings.default_payment_method`, a
 * subscription's `default_payment_method`): a test token becomes a new card attached to the customer,
 * as on Stripe; an existing method must already be attached to that customer.
 */
export function resolveCustomerPaymentMethod(
  sandbox: Sandbox,
  idOrToken: string,
  customerId: string,
  param: string,
): PaymentMethod {
  if (isTestToken(idOrToken)) return attachPaymentMethod(sandbox, idOrToken, customerId);
  const method = sandbox.store.require<PaymentMethod>('payment_methods', idOrToken, 'PaymentMethod', param);
  if (method.customer !== customerId) {
    throw errors.invalidValue(
      param,
      `The customer does not have a payment method with the ID ${idOrToken}. The payment method must be attached to the customer.`,
    );
  }
  return method;
}

export function registerPaymentMethods(router: Router): void {
  router.api('GET', '/v1/payment_methods/:id', ({ sandbox, params }) =>
    sandbox.store.require<PaymentMethod>('payment_methods', params.id as string, 'PaymentMethod'),
  );
  router.api('POST', '/v1/payment_methods/:id/attach', ({ sandbox, body, params }) => {
    const input = validateParams<{ customer: string }>({ customer: required(str()) }, body);
    sandbox.store.require('customers', input.customer, 'customer', 'customer');
    return attachPaymentMethod(sandbox, params.id as string, input.customer);
  });
  router.api('POST', '/v1/payment_methods/:id/detach', ({ sandbox, params }) => {
    const method = sandbox.store.require<PaymentMethod>(
      'payment_methods',
      params.id as string,
      'PaymentMethod',
    );
    method.customer = null;
    sandbox.store.put('payment_methods', method);
    return method;
  });
  const list = (
    sandbox: Sandbox,
    customer: string | undefined,
    type: string | undefined,
    query: ListParams,
    url: string,
  ) =>
    paginate(
      sandbox.store
        .all<PaymentMethod>('payment_methods')
        .filter(
          (method) =>
            (customer === undefined || method.customer === customer) &&
            (type === undefined || method.type === type),
        ),
      query,
      url,
    );
  router.api('GET', '/v1/payment_methods', ({ sandbox, body }) => {
    const input = validateParams<ListParams & { customer?: string; type?: string }>(
      { ...listParams, customer: str(), type: oneOf(['card', 'us_bank_account']) },
      body,
    );
    return list(sandbox, input.customer, input.type, input, '/v1/payment_methods');
  });
  router.api('GET', '/v1/customers/:id/payment_methods', ({ sandbox, body, params }) => {
    sandbox.store.require('customers', params.id as string, 'customer');
    const input = validateParams<ListParams & { type?: string }>({ ...listParams, type: str() }, body);
    return list(sandbox, params.id, input.type, input, `/v1/customers/${params.id}/payment_methods`);
  });
}

export { US_BANK_ACCOUNT_TOKEN };
