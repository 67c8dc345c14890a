import type Stripe from 'stripe';
import { behaviorOf } from '../resources/payment-methods.js';
import type { Sandbox } from '../sandbox.js';
import { newId, randomToken } from '../state/ids.js';
import type { Wire } from '../wire.js';

export type PaymentIntent = Wire<Stripe.PaymentIntent>;

export interface ChargeRequest {
  customer: string | null;
  amount: number;
  currency: string;
  paymentMethod: string | null;
  description: string | null;
  metadata?: Record<string, string>;
}

export interface ChargeOutcome {
  intent: PaymentIntent;
  succeeded: boolean;
  declineCode: string | null;
}

/**
 * Charges a payment method the way a confirmed PaymentIntent does: the card's test behaviour decides the
 * outcome, and `payment_intent.succeeded` or `.payment_failed` is emitted.
 */
export function charge(sandbox: Sandbox, request: ChargeRequest): ChargeOutcome {
  const clockId = sandbox.clockOfCustomer(request.customer);
  const behavior = behaviorOf(sandbox, request.paymentMethod);
  const succeeded = behavior !== null && behavior.behavior === 'succeed';
  const declineCode = succeeded ? null : (behavior?.declineCode ?? null);
  const id = newId('pi');
  const intent: PaymentIntent = {
    id,
    object: 'payment_intent',
    allowed_payment_method_types: null,
    amount: request.amount,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: succeeded ? request.amount : 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'automatic',
    client_secret: `${id}_secret_${randomToken(24)}`,
    confirmation_method: 'automatic',
    created: sandbox.now(clockId),
    currency: request.currency,
    customer: request.customer,
    customer_account: null,
    description: request.description,
    excluded_payment_method_types: null,
    last_payment_error: succeeded
      ? null
      : {
          type: 'card_error',
          code: request.paymentMethod ? 'card_declined' : 'payment_intent_payment_attempt_failed',
          decline_code: declineCode ?? undefined,
          message: request.paymentMethod
            ? 'Your card was declined.'
            : 'No payment method is available for this customer.',
        },
    latest_charge: request.paymentMethod ? newId('ch') : null,
    livemode: false,
    managed_payments: null,
    metadata: request.metadata ?? {},
    next_action: null,
    on_behalf_of: null,
    payment_method: request.paymentMethod,
    payment_method_configuration_details: null,
    payment_method_options: {},
    payment_method_types: ['card'],
    payment_record: null,
    processing: null,
    receipt_email: null,
    review: null,
    setup_future_usage: null,
    shipping: null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: succeeded ? 'succeeded' : 'requires_payment_method',
    transfer_data: null,
    transfer_group: null,
  };
  sandbox.store.insert('payment_intents', intent);
  sandbox.emit(succeeded ? 'payment_intent.succeeded' : 'payment_intent.payment_failed', intent, { clockId });
  return { intent, succeeded, declineCode };
}

/** The payment method an invoice charges: the subscription's default, else the customer's default, else any attached card. */
export function paymentMethodFor(
  sandbox: Sandbox,
  customerId: string,
  preferred: string | null | undefined,
): string | null {
  if (preferred) return preferred;
  const customer = sandbox.store.get<Wire<Stripe.Customer>>('customers', customerId);
  const fromCustomer = customer?.invoice_settings.default_payment_method;
  if (typeof fromCustomer === 'string') return fromCustomer;
  const attached = sandbox.store
    .all<Wire<Stripe.PaymentMethod>>('payment_methods')
    .find((method) => method.customer === customerId);
  return attached?.id ?? null;
}
