import type Stripe from 'stripe';
import { Fraction, roundMinorUnits } from '../arithmetic/fraction.js';
import { addLinesToDraft, lineFromItem } from '../billing/invoice-drafts.js';
import type { Invoice } from '../billing/invoices.js';
import { amountForQuantity } from '../billing/rating.js';
import { errors } from '../http/errors.js';
import { type ListParams, listParams, matchesEquals, paginate } from '../http/list.js';
import { bool, decimal, int, metadata, obj, oneOf, required, str, validateParams } from '../http/params.js';
import type { Router } from '../http/router.js';
import { newId } from '../state/ids.js';
import type { Wire } from '../wire.js';
import { deletedObject, mergeMetadata } from './common.js';

type InvoiceItem = Wire<Stripe.InvoiceItem>;
type Price = Wire<Stripe.Price>;

interface ItemInput {
  customer: string;
  amount?: number;
  currency?: string;
  description?: string;
  invoice?: string;
  metadata?: Record<string, string | null>;
  period?: { start: number; end: number };
  pricing?: { price?: string };
  quantity?: number;
  subscription?: string;
  unit_amount_decimal?: string;
  discountable?: boolean;
}

/** One-off charges: added to a draft invoice, to a subscription's next invoice, or left pending for the customer. */
export function registerInvoiceItems(router: Router): void {
  router.api('POST', '/v1/invoiceitems', ({ sandbox, body }) => {
    const input = validateParams<ItemInput>(
      {
        customer: required(str()),
        amount: int(),
        currency: str(),
        description: str(),
        invoice: str(),
        metadata: metadata(),
        period: obj({ start: required(int()), end: required(int()) }),
        pricing: obj({ price: str() }),
        quantity: int(),
        subscription: str(),
        unit_amount_decimal: decimal(),
        discountable: bool(),
        tax_behavior: oneOf(['exclusive', 'inclusive', 'unspecified']),
      },
      body,
    );
    sandbox.store.require('customers', input.customer, 'customer', 'customer');
    const price = input.pricing?.price
      ? sandbox.store.require<Price>('prices', input.pricing.price, 'price', 'pricing[price]')
      : null;
    const quantity = input.quantity ?? 1;
    let amount: number;
    if (price) amount = roundMinorUnits(amountForQuantity(price, quantity));
    else if (input.unit_amount_decimal !== undefined)
      amount = roundMinorUnits(Fraction.of(input.unit_amount_decimal).times(quantity));
    else if (input.amount !== undefined) amount = input.amount;
    else throw errors.missingParameter('amount');
    const invoice = input.invoice
      ? sandbox.store.require<Invoice>('invoices', input.invoice, 'invoice', 'invoice')
      : null;
    if (invoice && (invoice.status !== 'draft' || invoice.customer !== input.customer)) {
      throw errors.invalidValue(
        'invoice',
        'Invoice items can only be added to a draft invoice of the same customer.',
      );
    }
    if (input.subscription)
      sandbox.store.require('subscriptions', input.subscription, 'subscription', 'subscription');
    const clockId = sandbox.clockOfCustomer(input.customer);
    const now = sandbox.now(clockId);
    const item: InvoiceItem = {
      id: newId('ii'),
      object: 'invoiceitem',
      amount,
      currency: price?.currency ?? input.currency ?? invoice?.currency ?? 'usd',
      customer: input.customer,
      customer_account: null,
      date: now,
      description: input.description ?? (price ? null : 'Invoice item'),
      discountable: input.discountable ?? true,
      discounts: [],
      invoice: invoice?.id ?? null,
      livemode: false,
      metadata: mergeMetadata({}, input.metadata),
      net_amount: amount,
      parent: input.subscription
        ? { type: 'subscription_details', subscription_details: { subscription: input.subscription } }
        : null,
      period: input.period ?? { start: now, end: now },
      pricing: price
        ? {
            type: 'price_details',
            price_details: { price: price.id, product: price.product as string },
            unit_amount_decimal: price.unit_amount_decimal,
          }
        : {
            type: 'price_details',
            unit_amount_decimal: input.unit_amount_decimal ?? String(amount / quantity),
          },
      proration: false,
      quantity,
      quantity_decimal: String(quantity),
      tax_rates: [],
      test_clock: clockId,
    };
    sandbox.store.insert('invoiceitems', item);
    if (invoice) addLinesToDraft(sandbox, invoice, [lineFromItem(sandbox, item)]);
    sandbox.emit('invoiceitem.created', item, { clockId });
    return item;
  });
  router.api('GET', '/v1/invoiceitems/:id', ({ sandbox, params }) =>
    sandbox.store.require<InvoiceItem>('invoiceitems', params.id as string, 'invoiceitem'),
  );
  router.api('DELETE', '/v1/invoiceitems/:id', ({ sandbox, params }) => {
    const item = sandbox.store.require<InvoiceItem>('invoiceitems', params.id as string, 'invoiceitem');
    if (item.invoice)
      throw errors.stateConflict('Invoice items on an invoice cannot be deleted in the sandbox.');
    sandbox.store.remove('invoiceitems', item.id);
    return deletedObject(item.id, 'invoiceitem');
  });
  router.api('GET', '/v1/invoiceitems', ({ sandbox, body }) => {
    const params = validateParams<ListParams & { customer?: string; invoice?: string; pending?: boolean }>(
      { ...listParams, customer: str(), invoice: str(), pending: bool() },
      body,
    );
    const rows = sandbox.store
      .all<InvoiceItem>('invoiceitems')
      .filter(
        (row) =>
          matchesEquals(row, params, ['customer', 'invoice']) &&
          (params.pending === undefined || (row.invoice === null) === params.pending),
      );
    return paginate(rows, params, '/v1/invoiceitems');
  });
}
