import type Stripe from 'stripe';
import { Fraction } from '../arithmetic/fraction.js';
import { errors } from '../http/errors.js';
import type { Sandbox } from '../sandbox.js';
import { newId } from '../state/ids.js';
import type { Wire } from '../wire.js';
import type { Invoice, InvoiceLine } from './invoices.js';

export type CreditNote = Wire<Stripe.CreditNote>;
export type CreditNoteLine = Wire<Stripe.CreditNoteLineItem>;
type LineTax = Wire<Stripe.CreditNoteLineItem.Tax>;

export interface CreditNoteLineInput {
  type: 'invoice_line_item' | 'custom_line_item';
  invoice_line_item?: string;
  amount?: number;
  quantity?: number;
  unit_amount?: number;
  description?: string;
  metadata?: Record<string, string | null>;
}

export interface CreditNoteInput {
  invoice: string;
  lines?: CreditNoteLineInput[];
  amount?: number;
  reason?: Stripe.CreditNote.Reason;
  memo?: string;
  metadata?: Record<string, string | null>;
  refund_amount?: number;
  credit_amount?: number;
  out_of_band_amount?: number;
}

/** What has been credited on an invoice by credit notes that are not void. */
export function creditedOnInvoice(sandbox: Sandbox, invoiceId: string): number {
  return sandbox.store
    .all<CreditNote>('credit_notes')
    .filter((note) => note.invoice === invoiceId && note.status !== 'void')
    .reduce((sum, note) => sum + note.total, 0);
}

function proportionalTaxes(line: InvoiceLine, credited: number): LineTax[] {
  const base = line.amount - (line.discount_amounts ?? []).reduce((sum, entry) => sum + entry.amount, 0);
  return (line.taxes ?? []).map((tax) => ({
    amount: base === 0 ? 0 : Fraction.of(tax.amount).times(credited).div(base).toMinorUnits(),
    tax_behavior: tax.tax_behavior,
    tax_rate_details: tax.tax_rate_details,
    taxability_reason: tax.taxability_reason as LineTax['taxability_reason'],
    taxable_amount: credited,
    type: 'tax_rate_details',
  }));
}

function noteLine(
  input: Omit<CreditNoteLine, 'id' | 'object' | 'discount_amount' | 'discount_amounts' | 'livemode'>,
): CreditNoteLine {
  return {
    id: newId('cnli'),
    object: 'credit_note_line_item',
    discount_amount: 0,
    discount_amounts: [],
    livemode: false,
    ...input,
  };
}

function lineFromInput(invoice: Invoice, input: CreditNoteLineInput, index: number): CreditNoteLine {
  const param = `lines[${index}]`;
  const metadata = Object.fromEntries(
    Object.entries(input.metadata ?? {}).filter((entry): entry is [string, string] => entry[1] !== null),
  );
  if (input.type === 'custom_line_item') {
    if (input.unit_amount === undefined) throw errors.missingParameter(`${param}[unit_amount]`);
    if (!input.description) throw errors.missingParameter(`${param}[description]`);
    const quantity = input.quantity ?? 1;
    return noteLine({
      amount: input.unit_amount * quantity,
      description: input.description,
      metadata,
      pretax_credit_amounts: [],
      quantity,
      tax_rates: [],
      taxes: [],
      type: 'custom_line_item',
      unit_amount: input.unit_amount,
      unit_amount_decimal: String(input.unit_amount),
    });
  }
  if (!input.invoice_line_item) throw errors.missingParameter(`${param}[invoice_line_item]`);
  const line = invoice.lines.data.find((candidate) => candidate.id === input.invoice_line_item);
  if (!line)
    throw errors.resourceMissing('invoice line item', input.invoice_line_item, `${param}[invoice_line_item]`);
  let amount: number;
  if (input.amount !== undefined) amount = input.amount;
  else if (input.quantity !== undefined && line.quantity) {
    amount = Fraction.of(line.amount).times(input.quantity).div(line.quantity).toMinorUnits();
  } else amount = line.amount;
  if (amount <= 0 || amount > line.amount) {
    throw errors.invalidValue(
      `${param}[amount]`,
      `The amount to credit must be between 1 and ${line.amount}.`,
    );
  }
  return noteLine({
    amount,
    description: line.description,
    invoice_line_item: line.id,
    metadata,
    pretax_credit_amounts: [],
    quantity: input.quantity ?? line.quantity,
    tax_rates: [],
    taxes: proportionalTaxes(line, amount),
    type: 'invoice_line_item',
    unit_amount: null,
    unit_amount_decimal: null,
  });
}

function totalTaxes(lines: CreditNoteLine[]): Wire<Stripe.CreditNote.TotalTax>[] {
  return lines.flatMap((line) => line.taxes ?? []);
}

/**
 * Builds (without storing) the credit note a request describes: by lines, or by a single `amount`.
 * Before payment it lowers what the invoice asks for; after payment it is refunded, credited to the
 * customer's balance, or settled out of band. It never credits more than the invoice's total.
 */
export function buildCreditNote(sandbox: Sandbox, input: CreditNoteInput, id = newId('cn')): CreditNote {
  const invoice = sandbox.store.require<Invoice>('invoices', input.invoice, 'invoice', 'invoice');
  if (invoice.status !== 'open' && invoice.status !== 'paid') {
    throw errors.invalidValue(
      'invoice',
      `You can only create credit notes on open or paid invoices; ${invoice.id} is ${invoice.status}.`,
    );
  }
  let lines: CreditNoteLine[];
  if (input.lines && input.lines.length > 0) {
    lines = input.lines.map((line, index) => lineFromInput(invoice, line, index));
  } else if (input.amount !== undefined) {
    if (input.amount <= 0) throw errors.invalidValue('amount', 'The amount to credit must be positive.');
    lines = [
      noteLine({
        amount: input.amount,
        description: 'Credit',
        metadata: {},
        pretax_credit_amounts: [],
        quantity: 1,
        tax_rates: [],
        taxes: [],
        type: 'custom_line_item',
        unit_amount: input.amount,
        unit_amount_decimal: String(input.amount),
      }),
    ];
  } else {
    throw errors.missingParameter('lines');
  }
  const subtotal = lines.reduce((sum, line) => sum + line.amount, 0);
  const taxes = totalTaxes(lines);
  const total = subtotal + taxes.reduce((sum, tax) => sum + tax.amount, 0);
  if (input.amount !== undefined && input.amount !== total) {
    throw errors.invalidValue(
      'amount',
      `The amount (${input.amount}) must equal the total of the lines (${total}).`,
    );
  }
  const creditable = invoice.total - creditedOnInvoice(sandbox, invoice.id);
  if (total > creditable) {
    throw errors.invalidValue(
      'amount',
      `The credit note total (${total}) is greater than what is left to credit on the invoice (${creditable}).`,
    );
  }
  const prePayment = invoice.status === 'open' ? Math.min(total, invoice.amount_remaining) : 0;
  const postPayment = total - prePayment;
  const refund = input.refund_amount ?? 0;
  const outOfBand = input.out_of_band_amount ?? 0;
  // After payment, whatever is neither refunded nor settled out of band goes to the customer's balance.
  const credit = input.credit_amount ?? Math.max(0, postPayment - refund - outOfBand);
  if (refund + outOfBand + credit !== postPayment) {
    throw errors.invalidValue(
      postPayment === 0 ? 'refund_amount' : 'credit_amount',
      `refund_amount + credit_amount + out_of_band_amount must equal the post-payment amount (${postPayment}).`,
    );
  }
  const clockId = invoice.test_clock as string | null;
  const sequence =
    sandbox.store.all<CreditNote>('credit_notes').filter((note) => note.invoice === invoice.id).length + 1;
  return {
    id,
    object: 'credit_note',
    amount: total,
    amount_shipping: 0,
    created: sandbox.now(clockId),
    currency: invoice.currency,
    customer: invoice.customer as string,
    customer_account: null,
    customer_balance_transaction: null,
    discount_amount: 0,
    discount_amounts: [],
    effective_at: sandbox.now(clockId),
    invoice: invoice.id,
    lines: { object: 'list', data: lines, has_more: false, url: `/v1/credit_notes/${id}/lines` },
    livemode: false,
    memo: input.memo ?? null,
    metadata: Object.fromEntries(
      Object.entries(input.metadata ?? {}).filter((entry): entry is [string, string] => entry[1] !== null),
    ),
    number: `${invoice.number ?? invoice.id}-CN-${String(sequence).padStart(2, '0')}`,
    out_of_band_amount: outOfBand || null,
    pdf: `${sandbox.baseUrl}/credit_notes/${id}/pdf`,
    post_payment_amount: postPayment,
    pre_payment_amount: prePayment,
    pretax_credit_amounts: [],
    reason: input.reason ?? null,
    refunds: [],
    shipping_cost: null,
    status: 'issued',
    subtotal,
    subtotal_excluding_tax: subtotal,
    total,
    total_excluding_tax: subtotal,
    total_taxes: taxes,
    type: prePayment > 0 && postPayment > 0 ? 'mixed' : prePayment > 0 ? 'pre_payment' : 'post_payment',
    voided_at: null,
  };
}
