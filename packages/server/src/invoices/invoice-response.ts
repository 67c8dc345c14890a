import { z } from 'zod';
import { iso, isoOrNull } from '../http/schemas.js';
import type { InvoiceRow } from './invoice-rows.js';

export const invoiceLineResponse = z.object({
  id: z.string().nullable(),
  description: z.string().nullable(),
  amount: z.number().int(),
  currency: z.string(),
  quantity: z.number().nullable(),
  price_id: z.string().nullable(),
  proration: z.boolean(),
  period_start: z.string().nullable(),
  period_end: z.string().nullable(),
});

export const invoiceResponse = z.object({
  id: z.string().nullable().describe('Stripe invoice id; null for the upcoming invoice'),
  number: z.string().nullable(),
  status: z.string(),
  currency: z.string(),
  billing_reason: z.string().nullable(),
  stripe_subscription_id: z.string().nullable(),
  subtotal: z.number().int().describe('Minor units, before tax'),
  tax: z.number().int(),
  total: z.number().int(),
  amount_due: z.number().int(),
  amount_paid: z.number().int(),
  amount_remaining: z.number().int(),
  hosted_invoice_url: z.string().nullable(),
  invoice_pdf: z.string().nullable(),
  period_start: z.string().nullable(),
  period_end: z.string().nullable(),
  created: z.string(),
  lines: z.array(invoiceLineResponse),
});
export type InvoiceResponse = z.infer<typeof invoiceResponse>;

export function toInvoiceResponse(row: InvoiceRow): InvoiceResponse {
  return {
    id: row.id || null,
    number: row.number,
    status: row.status,
    currency: row.currency,
    billing_reason: row.billingReason,
    stripe_subscription_id: row.stripeSubscriptionId,
    subtotal: row.subtotal,
    tax: row.tax,
    total: row.total,
    amount_due: row.amountDue,
    amount_paid: row.amountPaid,
    amount_remaining: row.amountRemaining,
    hosted_invoice_url: row.hostedInvoiceUrl,
    invoice_pdf: row.invoicePdf,
    period_start: isoOrNull(row.periodStart),
    period_end: isoOrNull(row.periodEnd),
    created: iso(row.created),
    lines: row.lines.map((line) => ({ ...line, id: line.id || null })),
  };
}
