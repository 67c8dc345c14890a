import type Stripe from 'stripe';
import type { Sandbox } from '../sandbox.js';
import { newId } from '../state/ids.js';
import type { Wire } from '../wire.js';
import type { PaymentIntent } from './payments.js';

export type InvoicePayment = Wire<Stripe.InvoicePayment>;

/**
 * Links an invoice to the PaymentIntent of one payment attempt. The sandbox makes a new PaymentIntent per
 * attempt (Stripe reuses one), so a failed attempt's link is `canceled` and the paying one is the default.
 */
export function recordInvoicePayment(
  sandbox: Sandbox,
  invoice: Wire<Stripe.Invoice>,
  intent: PaymentIntent,
  succeeded: boolean,
): InvoicePayment {
  const now = sandbox.now(invoice.test_clock as string | null);
  const payment: InvoicePayment = {
    id: newId('inpay'),
    object: 'invoice_payment',
    amount_paid: succeeded ? intent.amount : null,
    amount_requested: intent.amount,
    created: now,
    currency: intent.currency,
    invoice: invoice.id,
    is_default: succeeded,
    livemode: false,
    payment: { type: 'payment_intent', payment_intent: intent.id },
    status: succeeded ? 'paid' : 'canceled',
    status_transitions: { canceled_at: succeeded ? null : now, paid_at: succeeded ? now : null },
  };
  sandbox.store.insert('invoice_payments', payment);
  return payment;
}
