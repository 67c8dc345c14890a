import { charge, type PaymentIntent } from '../billing/payments.js';
import { errors } from '../http/errors.js';
import { inRange, type ListParams, listParams, matchesEquals, paginate } from '../http/list.js';
import { any, bool, int, metadata, required, str, validateParams } from '../http/params.js';
import type { Router } from '../http/router.js';
import { attachPaymentMethod } from './payment-methods.js';

export function registerPaymentIntents(router: Router): void {
  /** Only confirmed, immediate card payments: `confirm=true` with a payment method is required. */
  router.api('POST', '/v1/payment_intents', ({ sandbox, body }) => {
    const input = validateParams<{
      amount: number;
      currency: string;
      customer?: string;
      payment_method?: string;
      confirm?: boolean;
      description?: string;
      metadata?: Record<string, string>;
    }>(
      {
        amount: required(int()),
        currency: required(str()),
        customer: str(),
        payment_method: str(),
        confirm: bool(),
        description: str(),
        metadata: metadata(),
        off_session: bool(),
        payment_method_types: any(),
        automatic_payment_methods: any(),
      },
      body,
    );
    if (!input.confirm || !input.payment_method)
      throw errors.missingParameter(input.confirm ? 'payment_method' : 'confirm');
    const method = input.customer
      ? attachPaymentMethod(sandbox, input.payment_method, input.customer).id
      : input.payment_method;
    const outcome = charge(sandbox, {
      customer: input.customer ?? null,
      amount: input.amount,
      currency: input.currency,
      paymentMethod: method,
      description: input.description ?? null,
      metadata: input.metadata ?? {},
    });
    if (!outcome.succeeded)
      throw errors.cardDeclined(
        'Your card was declined.',
        outcome.declineCode ?? 'generic_decline',
        outcome.intent,
      );
    return outcome.intent;
  });
  router.api('GET', '/v1/payment_intents/:id', ({ sandbox, params }) =>
    sandbox.store.require<PaymentIntent>('payment_intents', params.id as string, 'payment_intent'),
  );
  router.api('GET', '/v1/payment_intents', ({ sandbox, body }) => {
    const params = validateParams<ListParams & { customer?: string; created?: unknown }>(
      { ...listParams, customer: str(), created: any() },
      body,
    );
    const rows = sandbox.store
      .all<PaymentIntent>('payment_intents')
      .filter((row) => matchesEquals(row, params, ['customer']) && inRange(row.created, params.created));
    return paginate(rows, params, '/v1/payment_intents');
  });
}
