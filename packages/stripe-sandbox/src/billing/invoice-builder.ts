import type Stripe from 'stripe';
import type { Sandbox } from '../sandbox.js';
import { newId } from '../state/ids.js';
import type { Wire } from '../wire.js';
import { activeSubscriptionDiscounts, applyDiscounts, type Discount } from './discounts.js';
import { computeTax } from './tax.js';
import { taxRateFor } from './tax-rates.js';

export type Invoice = Wire<Stripe.Invoice>;
export type InvoiceLine = Wire<Stripe.InvoiceLineItem>;
type Customer = Wire<Stripe.Customer>;
type Price = Wire<Stripe.Price>;

export interface DraftLine {
  amount: number;
  description: string;
  period: { start: number; end: number };
  price: Price | null;
  quantity: number | null;
  subscriptionItem: string | null;
  invoiceItem: string | null;
  proration: boolean;
}

export interface InvoiceDraft {
  customer: string;
  subscription: string | null;
  lines: DraftLine[];
  billingReason: Stripe.Invoice.BillingReason;
  periodStart: number;
  periodEnd: number;
  automaticTax: boolean;
  autoFinalizeAt?: number | null;
  defaultPaymentMethod?: string | null;
  description?: string | null;
  metadata?: Record<string, string>;
  currency?: string;
  /** `send_invoice`: the customer pays by the due date (hosted page); nothing is charged automatically. */
  collectionMethod?: Stripe.Invoice.CollectionMethod;
  dueDate?: number | null;
  /** Discounts to apply; by default the subscription's discounts that are still active. */
  discounts?: Discount[];
}

/** Builds the invoice object (not stored): lines, tax from the customer's address, totals. */
export function buildInvoice(sandbox: Sandbox, draft: InvoiceDraft, id = newId('in')): Invoice {
  const customer = sandbox.store.require<Customer>('customers', draft.customer, 'customer', 'customer');
  const clockId = sandbox.clockOfCustomer(customer.id);
  const currency = draft.currency ?? draft.lines.find((line) => line.price)?.price?.currency ?? 'usd';
  const taxes: Wire<Stripe.Invoice.TotalTax>[] = [];
  const now = sandbox.now(clockId);
  const discounts = draft.discounts ?? activeSubscriptionDiscounts(sandbox, draft.subscription, now);
  const applied = applyDiscounts(
    sandbox,
    draft.lines.map((line) => ({ amount: line.amount, product: (line.price?.product as string) ?? null })),
    discounts,
    currency,
  );
  const lines: InvoiceLine[] = draft.lines.map((line, index) => {
    let lineTaxes: Wire<Stripe.InvoiceLineItem.Tax>[] = [];
    const discountAmounts = applied.perLine[index] ?? [];
    const discounted = line.amount - discountAmounts.reduce((sum, entry) => sum + entry.amount, 0);
    if (draft.automaticTax) {
      const tax = computeTax(discounted, customer.address, customer.tax_exempt);
      const rate = taxRateFor(sandbox, tax);
      const entry = {
        amount: tax.amount,
        tax_behavior: 'exclusive' as const,
        tax_rate_details: { tax_rate: rate },
        taxability_reason: tax.reason,
        taxable_amount: tax.taxableAmount,
        type: 'tax_rate_details' as const,
      };
      lineTaxes = [entry];
      taxes.push(entry);
    }
    return {
      id: newId('il'),
      object: 'line_item',
      amount: line.amount,
      currency,
      description: line.description,
      discount_amounts: discountAmounts,
      discountable: true,
      discounts: discountAmounts.map((entry) => entry.discount),
      invoice: id,
      livemode: false,
      metadata: {},
      parent: line.subscriptionItem
        ? {
            type: 'subscription_item_details',
            invoice_item_details: null,
            subscription_item_details: {
              invoice_item: line.invoiceItem,
              proration: line.proration,
              proration_details: line.proration ? { credited_items: null } : null,
              subscription: draft.subscription,
              subscription_item: line.subscriptionItem,
            },
          }
        : line.invoiceItem
          ? {
              type: 'invoice_item_details',
              subscription_item_details: null,
              invoice_item_details: {
                invoice_item: line.invoiceItem,
                proration: line.proration,
                proration_details: null,
                subscription: draft.subscription,
              },
            }
          : null,
      period: line.period,
      pretax_credit_amounts: [],
      pricing: line.price
        ? {
            type: 'price_details',
            price_details: { price: line.price.id, product: line.price.product as string },
            unit_amount_decimal: line.price.unit_amount_decimal,
          }
        : null,
      quantity: line.quantity,
      quantity_decimal: line.quantity === null ? null : String(line.quantity),
      subscription: draft.subscription,
      subtotal: line.amount,
      taxes: lineTaxes,
    };
  });
  const subtotal = lines.reduce((total, line) => total + line.amount, 0);
  const tax = taxes.reduce((total, entry) => total + entry.amount, 0);
  const discountTotal = applied.totals.reduce((sum, entry) => sum + entry.amount, 0);
  const total = subtotal - discountTotal + tax;
  return {
    id,
    object: 'invoice',
    account_country: 'US',
    account_name: 'Tollgate Stripe Sandbox',
    account_tax_ids: null,
    amount_due: total,
    amount_overpaid: 0,
    amount_paid: 0,
    amount_remaining: total,
    amount_shipping: 0,
    application: null,
    attempt_count: 0,
    attempted: false,
    auto_advance: true,
    automatic_tax: {
      disabled_reason: null,
      enabled: draft.automaticTax,
      liability: draft.automaticTax ? { type: 'self' } : null,
      provider: draft.automaticTax ? 'stripe' : null,
      status: draft.automaticTax ? 'complete' : null,
    },
    automatically_finalizes_at: draft.autoFinalizeAt ?? null,
    billing_reason: draft.billingReason,
    collection_method: draft.collectionMethod ?? 'charge_automatically',
    created: now,
    currency,
    custom_fields: null,
    customer: customer.id,
    customer_account: null,
    customer_address: customer.address ?? null,
    customer_email: customer.email,
    customer_name: customer.name ?? null,
    customer_phone: customer.phone ?? null,
    customer_shipping: customer.shipping,
    customer_tax_exempt: customer.tax_exempt ?? 'none',
    customer_tax_ids: [],
    default_payment_method: draft.defaultPaymentMethod ?? null,
    default_source: null,
    default_tax_rates: [],
    description: draft.description ?? null,
    discounts: applied.totals.map((entry) => entry.discount),
    due_date: draft.dueDate ?? null,
    effective_at: null,
    ending_balance: null,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: null,
    invoice_pdf: null,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: { object: 'list', data: lines, has_more: false, url: `/v1/invoices/${id}/lines` },
    livemode: false,
    metadata: draft.metadata ?? {},
    next_payment_attempt: null,
    number: null,
    on_behalf_of: null,
    parent: draft.subscription
      ? {
          type: 'subscription_details',
          quote_details: null,
          subscription_details: { metadata: null, subscription: draft.subscription },
        }
      : null,
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: draft.periodEnd,
    period_start: draft.periodStart,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: 'draft',
    status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subtotal,
    subtotal_excluding_tax: subtotal,
    test_clock: clockId,
    total,
    total_discount_amounts: applied.totals,
    total_excluding_tax: subtotal - discountTotal,
    total_pretax_credit_amounts: [],
    total_taxes: taxes,
    webhooks_delivered_at: null,
  };
}

/** Stores a new draft invoice and announces it. */
