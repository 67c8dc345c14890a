import { issueCreditNote, voidCreditNote } from '../billing/credit-note-effects.js';
import { buildCreditNote, type CreditNote, type CreditNoteInput } from '../billing/credit-notes.js';
import type { FormObject } from '../http/form.js';
import { inRange, type ListParams, listParams, paginate } from '../http/list.js';
import {
  any,
  arr,
  int,
  metadata,
  obj,
  oneOf,
  required,
  type Spec,
  str,
  validateParams,
} from '../http/params.js';
import { RawResponse, type Router } from '../http/router.js';
import { buildPdf } from '../pages/pdf.js';
import type { Sandbox } from '../sandbox.js';
import { mergeMetadata } from './common.js';

const createSpec: Record<string, Spec> = {
  invoice: required(str()),
  lines: arr(
    obj({
      type: required(oneOf(['invoice_line_item', 'custom_line_item'])),
      invoice_line_item: str(),
      amount: int(),
      quantity: int(),
      unit_amount: int(),
      description: str(),
      metadata: metadata(),
    }),
  ),
  amount: int(),
  reason: oneOf(['duplicate', 'fraudulent', 'order_change', 'product_unsatisfactory']),
  memo: str(),
  metadata: metadata(),
  refund_amount: int(),
  credit_amount: int(),
  out_of_band_amount: int(),
  // Stripe e-mails the customer unless told not to; the sandbox sends no e-mail either way.
  email_type: oneOf(['credit_note', 'none']),
};

function load(sandbox: Sandbox, id: string): CreditNote {
  return sandbox.store.require<CreditNote>('credit_notes', id, 'credit note');
}

function previewOf(sandbox: Sandbox, body: FormObject): CreditNote {
  return buildCreditNote(sandbox, validateParams<CreditNoteInput>(createSpec, body));
}

export function registerCreditNotes(router: Router): void {
  router.api('POST', '/v1/credit_notes', ({ sandbox, body }) =>
    issueCreditNote(sandbox, validateParams<CreditNoteInput>(createSpec, body)),
  );
  router.api('GET', '/v1/credit_notes/preview', ({ sandbox, body }) => previewOf(sandbox, body));
  router.api('GET', '/v1/credit_notes/preview/lines', ({ sandbox, body }) => {
    const paging = new Set(Object.keys(listParams));
    const pick = (keep: boolean) =>
      Object.fromEntries(Object.entries(body).filter(([key]) => paging.has(key) === keep)) as FormObject;
    const note = previewOf(sandbox, pick(false));
    const page = validateParams<ListParams>(listParams, pick(true));
    return paginate(note.lines.data, page, '/v1/credit_notes/preview/lines');
  });
  router.api('GET', '/v1/credit_notes/:id', ({ sandbox, body, params }) => {
    validateParams({}, body);
    return load(sandbox, params.id as string);
  });
  router.api('POST', '/v1/credit_notes/:id', ({ sandbox, body, params }) => {
    const input = validateParams<{ memo?: string; metadata?: Record<string, string | null> | null }>(
      { memo: str(), metadata: metadata() },
      body,
    );
    const note = load(sandbox, params.id as string);
    if (input.memo !== undefined) note.memo = input.memo;
    if (input.metadata !== undefined) note.metadata = mergeMetadata(note.metadata, input.metadata);
    sandbox.store.put('credit_notes', note);
    sandbox.emit('credit_note.updated', note);
    return note;
  });
  router.api('POST', '/v1/credit_notes/:id/void', ({ sandbox, body, params }) => {
    validateParams({}, body);
    return voidCreditNote(sandbox, load(sandbox, params.id as string));
  });
  router.api('GET', '/v1/credit_notes/:id/lines', ({ sandbox, body, params }) => {
    const note = load(sandbox, params.id as string);
    return paginate(
      note.lines.data,
      validateParams<ListParams>(listParams, body),
      `/v1/credit_notes/${note.id}/lines`,
    );
  });
  router.api('GET', '/v1/credit_notes', ({ sandbox, body }) => {
    const params = validateParams<ListParams & { invoice?: string; customer?: string; created?: unknown }>(
      { ...listParams, invoice: str(), customer: str(), created: any() },
      body,
    );
    const rows = sandbox.store
      .all<CreditNote>('credit_notes')
      .filter(
        (note) =>
          (params.invoice === undefined || note.invoice === params.invoice) &&
          (params.customer === undefined || note.customer === params.customer) &&
          inRange(note.created, params.created),
      );
    return paginate(rows, params, '/v1/credit_notes');
  });
  router.page('GET', '/credit_notes/:id/pdf', ({ sandbox, params }) => {
    const note = sandbox.store.get<CreditNote>('credit_notes', params.id as string);
    if (!note) return new RawResponse(404, 'text/plain', 'Credit note not found');
    const money = (amount: number) => `${note.currency.toUpperCase()} ${(amount / 100).toFixed(2)}`;
    const pdf = buildPdf([
      { text: `Credit note ${note.number}`, size: 18 },
      { text: `Invoice: ${String(note.invoice)}   Status: ${note.status}` },
      { text: '' },
      ...note.lines.data.map((line) => ({ text: `${line.description ?? ''}   ${money(line.amount)}` })),
      { text: '' },
      { text: `Total credited: ${money(note.total)}`, size: 14 },
      { text: 'Issued by the Tollgate Stripe sandbox (test mode).', size: 8 },
    ]);
    return new RawResponse(200, 'application/pdf', pdf);
  });
}
