import type Stripe from 'stripe';
import { addLinesToDraft, lineFromItem } from '../billing/invoice-drafts.js';
import { type PreviewRequest, previewInvoice } from '../billing/invoice-preview.js';
import {
  attemptInvoicePayment,
  createInvoice,
  finalizeInvoice,
  type Invoice,
  markUncollectible,
  sendInvoice,
  voidInvoice,
} from '../billing/invoices.js';
import { DAY } from '../billing/periods.js';
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

/**
 * `send_invoice` needs a due date, given as `due_date` or as `days_until_due` from now; automatic
 * collection has none, as on Stripe.
 */
function dueDateOf(
  input: { collection_method?: string; days_until_due?: number; due_date?: number },
  now: number,
): number | null {
  if (input.collection_method !== 'send_invoice') {
    for (const param of ['days_until_due', 'due_date'] as const) {
      if (input[param] !== undefined) {
        throw errors.invalidValue(
          param,
          `You can only set \`${param}\` if \`collection_method\` is \`send_invoice\`.`,
        );
      }
    }
    return null;
  }
  if (input.due_date !== undefined) {
    if (input.due_date <= now) throw errors.invalidValue('due_date', 'The `due_date` must be in the future.');
    return input.due_date;
  }
  if (input.days_until_due === undefined) {
    throw errors.invalidValue(
      'days_until_due',
      'Invoices with `collection_method: send_invoice` need `days_until_due` or `due_date`.',
    );
  }
  if (input.days_until_due < 0) {
    throw errors.invalidValue('days_until_due', 'Invalid days_until_due: must be at least 0');
  }
  return now + input.days_until_due * DAY;
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
      collection_method?: Stripe.Invoice.CollectionMethod;
      days_until_due?: number;
      due_date?: number;
      pending_invoice_items_behavior?: string;
    }>(
      {
        days_until_due: int(),
        due_date: int(),
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
    const dueDate = dueDateOf(input, now);
    const invoice = createInvoice(sandbox, {
      collectionMethod: input.collection_method ?? 'charge_automatically',
      dueDate,
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
  router.api('POST', '/v1/invoices/:id/send', ({ sandbox, body, params }) => {
    validateParams({}, body);
    const invoice = load(sandbox, params.id as string);
    if (invoice.collection_method !== 'send_invoice')
      throw errors.stateConflict('You can only send an invoice whose `collection_method` is `send_invoice`.');
    if (invoice.status !== 'draft' && invoice.status !== 'open')
      throw errors.stateConflict(`You can only send a draft or open invoice; this one is ${invoice.status}.`);
    return sendInvoice(sandbox, invoice);
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
        collection_method: oneOf(['charge_automatically', 'send_invoice']),
      },
      body,
    );
    const rows = sandbox.store
      .all<Invoice>('invoices')
      .filter(
        (row) =>
          matchesEquals(row, params, ['customer', 'status', 'collection_method']) &&
          (params.subscription === undefined ||
            row.parent?.subscription_details?.subscription === params.subscription) &&
          inRange(row.created, params.created),
      );
    return paginate(rows, params, '/v1/invoices');
  });
}
