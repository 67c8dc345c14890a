import type Stripe from 'stripe';
import { addLinesToDraft, lineFromItem } from '../billing/invoice-drafts.js';
import { type PreviewRequest, previewInvoice } from '../billing/invoice-preview.js';
import {
  attemptInvoicePayment,
  createInvoice,
  finalizeInvoice,
  type Invoice,
  markUncollectible,
  voidInvoice,
} from '../billing/invoices.js';
import { errors } from '../http/errors.js';
import { inRange, type ListParams, listParams, matchesEquals, paginate } from '../http/list.js';
import { any, arr, bool, int, metadata, obj, oneOf, required, str, validateParams } from '../http/params.js';
import type { Router } from '../http/router.js';
import type { Sandbox } from '../sandbox.js';
import type { Wire } from '../wire.js';
import { attachPaymentMethod } from './payment-methods.js';

function load(sandbox: Sandbox, id: string): Invoice {
  return sandbox.store.require<Invoice>('invoices', id, 'invoice');
}

export function registerInvoices(router: Router): void {
  router.api('POST', '/v1/invoices/create_preview', ({ sandbox, body }) => {
    const input = validateParams<PreviewRequest>(
      {
        customer: str(),
        subscription: str(),
        subscription_details: obj({
          items: arr(
            obj({ id: str(), price: str(), quantity: int(), deleted: bool(), metadata: metadata() }),
          ),
          proration_behavior: oneOf(['create_prorations', 'none', 'always_invoice']),
          proration_date: int(),
          cancel_at_period_end: bool(),
        }),
        automatic_tax: obj({ enabled: required(bool()) }),
      },
      body,
    );
    return previewInvoice(sandbox, input);
  });
  router.api('POST', '/v1/invoices', ({ sandbox, body }) => {
    const input = validateParams<{
      customer: string;
      description?: string;
      metadata?: Record<string, string>;
      auto_advance?: boolean;
      automatic_tax?: { enabled: boolean };
      collection_method?: string;
      pending_invoice_items_behavior?: string;
    }>(
      {
        customer: required(str()),
        description: str(),
        metadata: metadata(),
        auto_advance: bool(),
        automatic_tax: obj({ enabled: required(bool()) }),
        collection_method: oneOf(['charge_automatically', 'send_invoice']),
        pending_invoice_items_behavior: oneOf(['exclude', 'include']),
      },
      body,
    );
    const now = sandbox.now(sandbox.clockOfCustomer(input.customer));
    const invoice = createInvoice(sandbox, {
      customer: input.customer,
      subscription: null,
      lines: [],
      billingReason: 'manual',
      periodStart: now,
      periodEnd: now,
      automaticTax: input.automatic_tax?.enabled ?? false,
      description: input.description ?? null,
      metadata: Object.fromEntries(
        Object.entries(input.metadata ?? {}).filter(([, value]) => value !== null),
      ),
    });
    invoice.auto_advance = input.auto_advance ?? false;
    sandbox.store.put('invoices', invoice);
    if (input.pending_invoice_items_behavior !== 'include') return invoice;
    const pending = sandbox.store
      .all<Wire<Stripe.InvoiceItem>>('invoiceitems')
      .filter((item) => item.customer === input.customer && item.invoice === null && item.parent === null)
      .reverse();
    for (const item of pending) {
      item.invoice = invoice.id;
      sandbox.store.put('invoiceitems', item);
    }
    return addLinesToDraft(
      sandbox,
      invoice,
      pending.map((item) => lineFromItem(sandbox, item)),
    );
  });
  router.api('GET', '/v1/invoices/:id', ({ sandbox, params }) => load(sandbox, params.id as string));
  router.api('GET', '/v1/invoices/:id/lines', ({ sandbox, body, params }) => {
    const invoice = load(sandbox, params.id as string);
    return paginate(
      invoice.lines.data as Stripe.InvoiceLineItem[],
      validateParams<ListParams>(listParams, body),
      `/v1/invoices/${invoice.id}/lines`,
    );
  });
  router.api('POST', '/v1/invoices/:id/finalize', ({ sandbox, body, params }) => {
    validateParams({ auto_advance: bool() }, body);
    const invoice = load(sandbox, params.id as string);
    if (invoice.status !== 'draft')
      throw errors.stateConflict(
        `This invoice is already finalized, you can't re-finalize a non-draft invoice.`,
      );
    return finalizeInvoice(sandbox, invoice);
  });
  router.api('POST', '/v1/invoices/:id/pay', ({ sandbox, body, params }) => {
    const input = validateParams<{ payment_method?: string }>(
      { payment_method: str(), off_session: bool(), paid_out_of_band: bool() },
      body,
    );
    const invoice = load(sandbox, params.id as string);
    if (invoice.status === 'paid') throw errors.stateConflict('Invoice is already paid');
    if (invoice.status === 'void')
      throw errors.stateConflict('This invoice has been voided and cannot be paid.');
    const method = input.payment_method
      ? attachPaymentMethod(sandbox, input.payment_method, invoice.customer as string).id
      : undefined;
    if (!attemptInvoicePayment(sandbox, invoice, method)) {
      throw errors.cardDeclined('Your card was declined.', 'generic_decline');
    }
    return invoice;
  });
  router.api('POST', '/v1/invoices/:id/void', ({ sandbox, params }) => {
    const invoice = load(sandbox, params.id as string);
    if (invoice.status !== 'open' && invoice.status !== 'uncollectible')
      throw errors.stateConflict('You can only void an open or uncollectible invoice.');
    return voidInvoice(sandbox, invoice);
  });
  router.api('POST', '/v1/invoices/:id/mark_uncollectible', ({ sandbox, params }) => {
    const invoice = load(sandbox, params.id as string);
    if (invoice.status !== 'open')
      throw errors.stateConflict('You can only mark an open invoice uncollectible.');
    return markUncollectible(sandbox, invoice);
  });
  router.api('GET', '/v1/invoices', ({ sandbox, body }) => {
    const params = validateParams<
      ListParams & {
        customer?: string;
        subscription?: string;
        status?: string;
        created?: unknown;
        collection_method?: string;
      }
    >(
      {
        ...listParams,
        customer: str(),
        subscription: str(),
        status: oneOf(['draft', 'open', 'paid', 'uncollectible', 'void']),
        created: any(),
        collection_method: str(),
      },
      body,
    );
    const rows = sandbox.store
      .all<Invoice>('invoices')
      .filter(
        (row) =>
          matchesEquals(row, params, ['customer', 'status']) &&
          (params.subscription === undefined ||
            row.parent?.subscription_details?.subscription === params.subscription) &&
          inRange(row.created, params.created),
      );
    return paginate(rows, params, '/v1/invoices');
  });
}
