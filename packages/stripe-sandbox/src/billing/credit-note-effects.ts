import type Stripe from 'stripe';
import { errors } from '../http/errors.js';
import type { Sandbox } from '../sandbox.js';
import type { Wire } from '../wire.js';
import { buildCreditNote, type CreditNote, type CreditNoteInput } from './credit-notes.js';
import type { InvoicePayment } from './invoice-payments.js';
import { type Invoice, markPaid } from './invoices.js';
import type { PaymentIntent } from './payments.js';
import { createRefund } from './refunds.js';

function paidIntentOf(sandbox: Sandbox, invoice: Invoice): PaymentIntent | undefined {
  const payment = sandbox.store
    .all<InvoicePayment>('invoice_payments')
    .find((candidate) => candidate.invoice === invoice.id && candidate.status === 'paid');
  const intentId = payment?.payment.payment_intent;
  return typeof intentId === 'string'
    ? sandbox.store.get<PaymentIntent>('payment_intents', intentId)
    : undefined;
}

function customerBalance(sandbox: Sandbox, customerId: string, change: number): void {
  const customer = sandbox.store.get<Wire<Stripe.Customer>>('customers', customerId);
  if (!customer) return;
  customer.balance += change;
  sandbox.store.put('customers', customer);
}

function announceInvoice(sandbox: Sandbox, invoice: Invoice): void {
  sandbox.store.put('invoices', invoice);
  sandbox.emit('invoice.updated', invoice, { clockId: invoice.test_clock as string | null });
}

/** Issues a credit note: stores it, moves the invoice's amounts, refunds and credits as asked. */
export function issueCreditNote(sandbox: Sandbox, input: CreditNoteInput): CreditNote {
  const note = buildCreditNote(sandbox, input);
  const invoice = sandbox.store.require<Invoice>('invoices', note.invoice as string, 'invoice', 'invoice');
  const refundAmount = input.refund_amount ?? 0;
  let intent: PaymentIntent | undefined;
  if (refundAmount > 0) {
    intent = paidIntentOf(sandbox, invoice);
    if (!intent)
      throw errors.invalidValue('refund_amount', `The invoice ${invoice.id} has no payment to refund.`);
  }
  const clockId = invoice.test_clock as string | null;
  if (intent) {
    const refund = createRefund(sandbox, {
      intent,
      amount: refundAmount,
      metadata: { credit_note: note.id },
      amountParam: 'refund_amount',
    });
    note.refunds = [
      { amount_refunded: refund.amount, payment_record_refund: null, refund: refund.id, type: 'refund' },
    ];
  }
  const credit = note.post_payment_amount - refundAmount - (note.out_of_band_amount ?? 0);
  if (credit > 0) customerBalance(sandbox, note.customer as string, -credit);
  sandbox.store.insert('credit_notes', note);
  invoice.pre_payment_credit_notes_amount += note.pre_payment_amount;
  invoice.post_payment_credit_notes_amount += note.post_payment_amount;
  invoice.amount_due -= note.pre_payment_amount;
  invoice.amount_remaining -= note.pre_payment_amount;
  announceInvoice(sandbox, invoice);
  sandbox.emit('credit_note.created', note, { clockId });
  // A credit note that leaves nothing to pay settles the invoice, as on Stripe.
  if (invoice.status === 'open' && invoice.amount_remaining === 0) markPaid(sandbox, invoice);
  return note;
}

/** Voids a credit note that moved no money: the invoice asks for its amount again. */
export function voidCreditNote(sandbox: Sandbox, note: CreditNote): CreditNote {
  if (note.status === 'void') throw errors.stateConflict('This credit note is already void.');
  if (note.refunds.length > 0) throw errors.stateConflict('A credit note with refunds cannot be voided.');
  const invoice = sandbox.store.require<Invoice>('invoices', note.invoice as string, 'invoice', 'invoice');
  if (note.pre_payment_amount > 0 && invoice.status !== 'open') {
    throw errors.stateConflict(
      `The invoice ${invoice.id} is ${invoice.status}; its pre-payment credit note cannot be voided.`,
    );
  }
  const clockId = invoice.test_clock as string | null;
  note.status = 'void';
  note.voided_at = sandbox.now(clockId);
  sandbox.store.put('credit_notes', note);
  const credit = note.post_payment_amount - (note.out_of_band_amount ?? 0);
  if (credit > 0) customerBalance(sandbox, note.customer as string, credit);
  invoice.pre_payment_credit_notes_amount -= note.pre_payment_amount;
  invoice.post_payment_credit_notes_amount -= note.post_payment_amount;
  invoice.amount_due += note.pre_payment_amount;
  invoice.amount_remaining += note.pre_payment_amount;
  announceInvoice(sandbox, invoice);
  sandbox.emit('credit_note.voided', note, { clockId });
  return note;
}
