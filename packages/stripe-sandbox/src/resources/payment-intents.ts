import type Stripe from 'stripe';
import { charge, type PaymentIntent } from '../billing/payments.js';
import { errors } from '../http/errors.js';
import { inRange, type ListParams, listParams, matchesEquals, paginate } from '../http/list.js';
import { any, bool, int, metadata, oneOf, required, str, validateParams } from '../http/params.js';
import type { Router } from '../http/router.js';
import { newId } from '../state/ids.js';
import type { Wire } from '../wire.js';
import { attachPaymentMethod } from './payment-methods.js';

type Refund = Wire<Stripe.Refund>;

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
  router.api('POST', '/v1/refunds', ({ sandbox, body }) => {
    const input = validateParams<{
      payment_intent?: string;
      amount?: number;
      reason?: Stripe.RefundCreateParams.Reason;
      metadata?: Record<string, string>;
    }>(
      {
        payment_intent: str(),
        charge: str(),
        amount: int(),
        reason: oneOf(['duplicate', 'fraudulent', 'requested_by_customer']),
        metadata: metadata(),
      },
      body,
    );
    if (!input.payment_intent) throw errors.missingParameter('payment_intent');
    const intent = sandbox.store.require<PaymentIntent>(
      'payment_intents',
      input.payment_intent,
      'payment_intent',
      'payment_intent',
    );
    const refunded = sandbox.store
      .all<Refund>('refunds')
      .filter((refund) => refund.payment_intent === intent.id)
      .reduce((sum, refund) => sum + refund.amount, 0);
    const amount = input.amount ?? intent.amount_received - refunded;
    if (intent.status !== 'succeeded' || amount <= 0 || amount > intent.amount_received - refunded) {
      throw errors.invalidValue(
        'amount',
        `Refund amount (${amount}) is greater than the unrefunded amount on the charge.`,
      );
    }
    const refund: Refund = {
      id: newId('re'),
      object: 'refund',
      amount,
      balance_transaction: null,
      charge: intent.latest_charge as string | null,
      customer: intent.customer as string | null,
      customer_account: null,
      payment_method: intent.payment_method as string | null,
      created: sandbox.now(sandbox.clockOfCustomer(intent.customer as string | null)),
      currency: intent.currency,
      destination_details: {
        type: 'card',
        card: { type: 'refund' },
      },
      metadata: input.metadata ?? {},
      payment_intent: intent.id,
      reason: input.reason ?? null,
      receipt_number: null,
      source_transfer_reversal: null,
      status: 'succeeded',
      transfer_reversal: null,
    };
    sandbox.store.insert('refunds', refund);
    sandbox.emit('refund.created', refund);
    return refund;
  });
  router.api('GET', '/v1/refunds/:id', ({ sandbox, params }) =>
    sandbox.store.require<Refund>('refunds', params.id as string, 'refund'),
  );
}
