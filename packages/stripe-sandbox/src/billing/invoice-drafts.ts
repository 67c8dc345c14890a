import type Stripe from 'stripe';
import type { Sandbox } from '../sandbox.js';
import type { Wire } from '../wire.js';
import { buildInvoice, type DraftLine, type Invoice } from './invoices.js';

type InvoiceItem = Wire<Stripe.InvoiceItem> & { subscription_item?: string };

export function lineFromItem(sandbox: Sandbox, item: InvoiceItem): DraftLine {
  const priceId = item.pricing?.price_details?.price as string | undefined;
  return {
    amount: item.amount,
    description: item.description ?? '',
    period: item.period,
    price: priceId ? (sandbox.store.get<Wire<Stripe.Price>>('prices', priceId) ?? null) : null,
    quantity: item.quantity,
    subscriptionItem: item.subscription_item ?? null,
    invoiceItem: item.id,
    proration: item.proration,
  };
}

function linesOf(sandbox: Sandbox, invoice: Invoice): DraftLine[] {
  return invoice.lines.data.map((line) => {
    const priceId = line.pricing?.price_details?.price as string | undefined;
    const details = line.parent?.subscription_item_details ?? null;
    const itemDetails = line.parent?.invoice_item_details ?? null;
    return {
      amount: line.amount,
      description: line.description ?? '',
      period: line.period,
      price: priceId ? (sandbox.store.get<Wire<Stripe.Price>>('prices', priceId) ?? null) : null,
      quantity: line.quantity,
      subscriptionItem: details?.subscription_item ?? null,
      invoiceItem: details?.invoice_item ?? itemDetails?.invoice_item ?? null,
      proration: details?.proration ?? itemDetails?.proration ?? false,
    };
  });
}

/** Recomputes a draft invoice's lines, tax and totals after lines were added, keeping everything else. */
export function addLinesToDraft(sandbox: Sandbox, invoice: Invoice, extra: DraftLine[]): Invoice {
  const subscription = invoice.parent?.subscription_details?.subscription as string | undefined;
  const rebuilt = buildInvoice(
    sandbox,
    {
      customer: invoice.customer as string,
      subscription: subscription ?? null,
      lines: [...linesOf(sandbox, invoice), ...extra],
      billingReason: invoice.billing_reason ?? 'manual',
      periodStart: invoice.period_start,
      periodEnd: invoice.period_end,
      automaticTax: invoice.automatic_tax.enabled,
      currency: invoice.currency,
    },
    invoice.id,
  );
  const merged: Invoice = {
    ...invoice,
    lines: rebuilt.lines,
    subtotal: rebuilt.subtotal,
    subtotal_excluding_tax: rebuilt.subtotal_excluding_tax,
    total: rebuilt.total,
    total_excluding_tax: rebuilt.total_excluding_tax,
    total_taxes: rebuilt.total_taxes,
    discounts: rebuilt.discounts,
    total_discount_amounts: rebuilt.total_discount_amounts,
    amount_due: rebuilt.amount_due,
    amount_remaining: rebuilt.amount_remaining,
  };
  sandbox.store.put('invoices', merged);
  return merged;
}
