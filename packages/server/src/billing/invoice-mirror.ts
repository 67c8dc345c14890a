import type Stripe from 'stripe';
import type { InvoiceLine } from '../db/schema/index.js';
import type { InvoiceRow } from '../invoices/invoice-rows.js';
import { idOf } from '../stripe/stripe-ids.js';

const isoOf = (seconds: number | null | undefined) =>
  seconds ? new Date(seconds * 1000).toISOString() : null;
/** The subscription an invoice bills, wherever API 2026-10-28 keeps it. */
export function subscriptionOfInvoice(invoice: Stripe.Invoice): string | null {
  return idOf(invoice.parent?.subscription_details?.subscription ?? null);
}

export function priceOfLine(line: Stripe.InvoiceLineItem): string | null {
  return idOf(line.pricing?.price_details?.price ?? null);
}

export function isProration(line: Stripe.InvoiceLineItem): boolean {
  return Boolean(
    line.parent?.subscription_item_details?.proration ??
      line.parent?.invoice_item_details?.proration ??
      false,
  );
}

/** The invoice's tax in minor units: the sum of its total taxes. */
export const taxOf = (invoice: Pick<Stripe.Invoice, 'total_taxes'>) =>
  (invoice.total_taxes ?? []).reduce((total, entry) => total + entry.amount, 0);

/** Stripe's invoice as Tollgate keeps it; amounts stay integer minor units. */
export function toInvoiceRow(
  organizationId: string,
  invoice: Stripe.Invoice,
  stateAt: Date,
  now: Date,
): InvoiceRow {
  const lines: InvoiceLine[] = invoice.lines.data.map((line) => {
    const priceId = priceOfLine(line);
    return {
      id: line.id,
      description: line.description,
      amount: line.amount,
      currency: line.currency,
      quantity: line.quantity,
      price_id: priceId,
      proration: isProration(line),
      period_start: isoOf(line.period?.start),
      period_end: isoOf(line.period?.end),
    };
  });
  const tax = taxOf(invoice);
  return {
    organizationId,
    id: invoice.id as string,
    number: invoice.number,
    status: invoice.status ?? 'draft',
    currency: invoice.currency,
    billingReason: invoice.billing_reason,
    stripeSubscriptionId: subscriptionOfInvoice(invoice),
    subtotal: invoice.subtotal,
    tax,
    total: invoice.total,
    amountDue: invoice.amount_due,
    amountPaid: invoice.amount_paid,
    amountRemaining: invoice.amount_remaining,
    hostedInvoiceUrl: invoice.hosted_invoice_url ?? null,
    invoicePdf: invoice.invoice_pdf ?? null,
    periodStart: invoice.period_start ? new Date(invoice.period_start * 1000) : null,
    periodEnd: invoice.period_end ? new Date(invoice.period_end * 1000) : null,
    lines,
    created: new Date(invoice.created * 1000),
    stripeStateAt: stateAt,
    updatedAt: now,
  };
}
