import type Stripe from 'stripe';
import { errors } from '../http/errors.js';
import type { Sandbox } from '../sandbox.js';
import { newId } from '../state/ids.js';
import type { Wire } from '../wire.js';
import type { PaymentIntent } from './payments.js';

export type Refund = Wire<Stripe.Refund>;

export interface RefundRequest {
  intent: PaymentIntent;
  /** Defaults to everything not yet refunded. */
  amount?: number;
  reason?: Stripe.Refund.Reason | null;
  metadata?: Stripe.Metadata;
  /** The parameter an over-refund is reported on (`amount`, or a credit note's `refund_amount`). */
  amountParam?: string;
}

export function refundedAmount(sandbox: Sandbox, intentId: string): number {
  return sandbox.store
    .all<Refund>('refunds')
    .filter((refund) => refund.payment_intent === intentId && refund.status !== 'failed')
    .reduce((sum, refund) => sum + refund.amount, 0);
}

/** The PaymentIntent behind a charge id (the sandbox keeps no Charge objects, only their ids). */
export function intentOfCharge(sandbox: Sandbox, chargeId: string, param: string): PaymentIntent {
  const intent = sandbox.store
    .all<PaymentIntent>('payment_intents')
    .find((candidate) => candidate.latest_charge === chargeId);
  if (!intent) throw errors.resourceMissing('charge', chargeId, param);
  return intent;
}

/** Refunds part or all of a succeeded payment; never more than was received and not yet refunded. */
export function createRefund(sandbox: Sandbox, request: RefundRequest): Refund {
  const { intent } = request;
  const refundable = intent.amount_received - refundedAmount(sandbox, intent.id);
  const amount = request.amount ?? refundable;
  if (intent.status !== 'succeeded' || refundable <= 0) {
    throw errors.stateConflict(`Charge ${String(intent.latest_charge)} has already been refunded.`);
  }
  if (amount <= 0 || amount > refundable) {
    throw errors.invalidValue(
      request.amountParam ?? 'amount',
      `Refund amount (${amount}) is greater than the unrefunded amount on the charge (${refundable}).`,
    );
  }
  const clockId = sandbox.clockOfCustomer(intent.customer as string | null);
  const refund: Refund = {
    id: newId('re'),
    object: 'refund',
    amount,
    balance_transaction: null,
    charge: intent.latest_charge as string | null,
    customer: intent.customer as string | null,
    customer_account: null,
    payment_method: intent.payment_method as string | null,
    created: sandbox.now(clockId),
    currency: intent.currency,
    destination_details: { type: 'card', card: { type: 'refund' } },
    metadata: request.metadata ?? {},
    payment_intent: intent.id,
    reason: request.reason ?? null,
    receipt_number: null,
    source_transfer_reversal: null,
    status: 'succeeded',
    transfer_reversal: null,
  };
  sandbox.store.insert('refunds', refund);
  sandbox.emit('refund.created', refund, { clockId });
  return refund;
}
