import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardCustomer, monthlyPrice } from './support/catalog.js';
import { type Harness, startHarness } from './support/harness.js';

describe('credit notes', () => {
  let harness: Harness;
  let stripe: Stripe;
  let price: Stripe.Price;
  beforeAll(async () => {
    harness = await startHarness();
    stripe = harness.stripe;
    price = await monthlyPrice(stripe, 2900, 'Standard');
  });
  afterAll(() => harness.close());

  /** A paid subscription invoice of 2900 + 19 % German VAT (551). */
  async function paidInvoice() {
    const customer = await cardCustomer(stripe, { address: { country: 'DE', postal_code: '10115' } });
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      automatic_tax: { enabled: true },
    });
    const invoice = await stripe.invoices.retrieve(subscription.latest_invoice as string);
    expect(invoice).toMatchObject({ status: 'paid', subtotal: 2900, total: 3451 });
    return { customer, invoice };
  }

  async function openInvoice() {
    const customer = await stripe.customers.create({});
    await stripe.invoiceItems.create({
      customer: customer.id,
      amount: 12_000,
      currency: 'usd',
      description: 'Setup',
    });
    const draft = await stripe.invoices.create({
      customer: customer.id,
      collection_method: 'send_invoice',
      days_until_due: 30,
      pending_invoice_items_behavior: 'include',
    });
    return stripe.invoices.finalizeInvoice(draft.id);
  }

  it('credits part of a paid line with its tax and refunds it to the card', async () => {
    const { invoice } = await paidInvoice();
    const line = invoice.lines.data[0] as Stripe.InvoiceLineItem;
    const params = {
      invoice: invoice.id,
      lines: [{ type: 'invoice_line_item' as const, invoice_line_item: line.id, amount: 1450 }],
      reason: 'product_unsatisfactory' as const,
      refund_amount: 1726,
    };
    const preview = await stripe.creditNotes.preview(params);
    expect(preview).toMatchObject({
      subtotal: 1450,
      total: 1726,
      post_payment_amount: 1726,
      pre_payment_amount: 0,
    });
    expect((await stripe.creditNotes.list({ invoice: invoice.id })).data).toEqual([]);
    const previewLines = await stripe.creditNotes.listPreviewLineItems(params);
    expect(previewLines.data.map((item) => item.amount)).toEqual([1450]);

    const note = await stripe.creditNotes.create(params);
    expect(note).toMatchObject({
      object: 'credit_note',
      status: 'issued',
      type: 'post_payment',
      amount: 1726,
      subtotal: 1450,
      total: 1726,
      reason: 'product_unsatisfactory',
      invoice: invoice.id,
    });
    expect(note.total_taxes?.map((tax) => tax.amount)).toEqual([276]);
    expect(note.lines.data[0]).toMatchObject({
      type: 'invoice_line_item',
      invoice_line_item: line.id,
      amount: 1450,
    });
    expect(note.refunds).toHaveLength(1);
    const refund = await stripe.refunds.retrieve(note.refunds[0]?.refund as string);
    expect(refund.amount).toBe(1726);
    expect(note.pdf).toMatch(/\/credit_notes\/cn_\w+\/pdf$/);
    expect((await fetch(note.pdf)).headers.get('content-type')).toBe('application/pdf');

    const after = await stripe.invoices.retrieve(invoice.id);
    expect(after.post_payment_credit_notes_amount).toBe(1726);
    expect(after.pre_payment_credit_notes_amount).toBe(0);
    expect(after.status).toBe('paid');
    expect(await stripe.creditNotes.retrieve(note.id)).toEqual(note);
    expect((await stripe.creditNotes.listLineItems(note.id)).data).toEqual(note.lines.data);
    expect((await stripe.creditNotes.update(note.id, { memo: 'Sorry' })).memo).toBe('Sorry');
    await expect(stripe.creditNotes.voidCreditNote(note.id)).rejects.toThrow(/refunds cannot be voided/);
  });

  it('credits a paid invoice to the customer balance when nothing is refunded', async () => {
    const { customer, invoice } = await paidInvoice();
    const note = await stripe.creditNotes.create({ invoice: invoice.id, amount: 1000 });
    expect(note).toMatchObject({ total: 1000, post_payment_amount: 1000, refunds: [] });
    expect((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).toMatchObject({
      balance: -1000,
    });
    await stripe.creditNotes.voidCreditNote(note.id);
    expect((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).toMatchObject({ balance: 0 });
    expect((await stripe.invoices.retrieve(invoice.id)).post_payment_credit_notes_amount).toBe(0);
  });

  it('the customer balance credit pays part of the next invoice', async () => {
    const { customer, invoice } = await paidInvoice();
    await stripe.creditNotes.create({ invoice: invoice.id, amount: 1000 });
    await stripe.invoiceItems.create({
      customer: customer.id,
      amount: 2500,
      currency: 'usd',
      description: 'Extra',
    });
    const draft = await stripe.invoices.create({
      customer: customer.id,
      pending_invoice_items_behavior: 'include',
    });
    const next = await stripe.invoices.finalizeInvoice(draft.id);
    expect(next).toMatchObject({ total: 2500, starting_balance: -1000, ending_balance: 0, amount_due: 1500 });
    expect((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).toMatchObject({ balance: 0 });
    const paid = await stripe.invoices.pay(next.id);
    expect(paid).toMatchObject({ status: 'paid', amount_paid: 1500 });
  });

  it('lowers what an open invoice asks for; void restores it; crediting all of it settles it', async () => {
    const invoice = await openInvoice();
    const note = await stripe.creditNotes.create({
      invoice: invoice.id,
      amount: 5000,
      reason: 'order_change',
    });
    expect(note).toMatchObject({ type: 'pre_payment', pre_payment_amount: 5000, post_payment_amount: 0 });
    let current = await stripe.invoices.retrieve(invoice.id);
    expect(current).toMatchObject({
      amount_due: 7000,
      amount_remaining: 7000,
      pre_payment_credit_notes_amount: 5000,
    });
    const voided = await stripe.creditNotes.voidCreditNote(note.id);
    expect(voided.status).toBe('void');
    expect(voided.voided_at).not.toBeNull();
    current = await stripe.invoices.retrieve(invoice.id);
    expect(current).toMatchObject({
      amount_due: 12_000,
      amount_remaining: 12_000,
      pre_payment_credit_notes_amount: 0,
    });
    await stripe.creditNotes.create({
      invoice: invoice.id,
      lines: [{ type: 'custom_line_item', description: 'Goodwill', unit_amount: 4000, quantity: 3 }],
    });
    current = await stripe.invoices.retrieve(invoice.id);
    expect(current).toMatchObject({
      status: 'paid',
      amount_remaining: 0,
      pre_payment_credit_notes_amount: 12_000,
    });
    const listed = await stripe.creditNotes.list({ invoice: invoice.id });
    expect(listed.data.map((row) => row.status)).toEqual(['issued', 'void']);
  });

  it('answers Stripe-shaped errors', async () => {
    const customer = await stripe.customers.create({});
    const draft = await stripe.invoices.create({ customer: customer.id });
    await expect(stripe.creditNotes.create({ invoice: draft.id, amount: 100 })).rejects.toMatchObject({
      statusCode: 400,
      param: 'invoice',
    });
    await expect(stripe.creditNotes.create({ invoice: 'in_missing', amount: 100 })).rejects.toMatchObject({
      statusCode: 404,
      param: 'invoice',
    });
    const invoice = await openInvoice();
    await expect(stripe.creditNotes.create({ invoice: invoice.id, amount: 12_001 })).rejects.toMatchObject({
      param: 'amount',
    });
    await expect(
      stripe.creditNotes.create({
        invoice: invoice.id,
        lines: [{ type: 'invoice_line_item', invoice_line_item: 'il_missing', amount: 1 }],
      }),
    ).rejects.toMatchObject({ statusCode: 404, param: 'lines[0][invoice_line_item]' });
    await expect(
      stripe.creditNotes.create({ invoice: invoice.id, amount: 100, refund_amount: 100 }),
    ).rejects.toMatchObject({ param: 'refund_amount' });
    await expect(stripe.creditNotes.create({ invoice: invoice.id })).rejects.toMatchObject({
      code: 'parameter_missing',
      param: 'lines',
    });
    const note = await stripe.creditNotes.create({ invoice: invoice.id, amount: 100 });
    await stripe.creditNotes.voidCreditNote(note.id);
    await expect(stripe.creditNotes.voidCreditNote(note.id)).rejects.toThrow(/already void/);
  });
});
