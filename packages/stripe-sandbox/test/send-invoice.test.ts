import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './support/harness.js';

const DAY = 86_400;
const START = Date.UTC(2026, 5, 1) / 1000;

describe('invoices with collection_method send_invoice', () => {
  let harness: Harness;
  let stripe: Stripe;
  beforeAll(async () => {
    harness = await startHarness();
    stripe = harness.stripe;
  });
  afterAll(() => harness.close());

  async function draftForPayment() {
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: START });
    const customer = await stripe.customers.create({
      email: 'ap@example.com',
      test_clock: clock.id,
      payment_method: 'pm_card_visa',
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    await stripe.invoiceItems.create({
      customer: customer.id,
      amount: 12_000,
      currency: 'usd',
      description: 'Setup',
    });
    const invoice = await stripe.invoices.create({
      customer: customer.id,
      collection_method: 'send_invoice',
      days_until_due: 30,
      pending_invoice_items_behavior: 'include',
    });
    return { clock, customer, invoice };
  }

  it('sets the due date, is never charged automatically, and is paid on its hosted page', async () => {
    const { clock, customer, invoice } = await draftForPayment();
    expect(invoice.collection_method).toBe('send_invoice');
    expect(invoice.due_date).toBe(START + 30 * DAY);
    expect(invoice.amount_due).toBe(12_000);

    const sent = await stripe.invoices.sendInvoice(invoice.id);
    expect(sent.status).toBe('open');
    expect(sent.hosted_invoice_url).toContain(`/invoices/${invoice.id}`);
    const sentEvents = await stripe.events.list({ type: 'invoice.sent' });
    expect(sentEvents.data.map((event) => (event.data.object as Stripe.Invoice).id)).toContain(invoice.id);

    // Past the due date nothing is charged, although the customer has a default card.
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: START + 31 * DAY });
    const overdue = await stripe.invoices.retrieve(invoice.id);
    expect(overdue.status).toBe('open');
    expect(overdue.attempt_count).toBe(0);
    expect((await stripe.paymentIntents.list({ customer: customer.id })).data).toEqual([]);

    const page = await fetch(sent.hosted_invoice_url as string);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Due 2026-07-01');
    expect(html).toContain('name="card_number"');

    const pay = (card: string) =>
      fetch(sent.hosted_invoice_url as string, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ card_number: card }).toString(),
        redirect: 'manual',
      });
    const declined = await pay('4000 0000 0000 0002');
    expect(declined.status).toBe(402);
    expect(await declined.text()).toContain('Your card was declined.');
    const afterDecline = await stripe.invoices.retrieve(invoice.id);
    expect(afterDecline.status).toBe('open');
    expect(afterDecline.next_payment_attempt).toBeNull();

    const paid = await pay('4242 4242 4242 4242');
    expect(paid.status).toBe(303);
    const settled = await stripe.invoices.retrieve(invoice.id);
    expect(settled.status).toBe('paid');
    expect(settled.amount_paid).toBe(12_000);
    expect(
      (await stripe.invoices.list({ customer: customer.id, collection_method: 'send_invoice' })).data,
    ).toHaveLength(1);
  });

  it('answers Stripe-shaped errors', async () => {
    const customer = await stripe.customers.create({});
    await expect(
      stripe.invoices.create({ customer: customer.id, collection_method: 'send_invoice' }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'days_until_due' });
    await expect(stripe.invoices.create({ customer: customer.id, days_until_due: 10 })).rejects.toMatchObject(
      { statusCode: 400, param: 'days_until_due' },
    );
    await expect(
      stripe.invoices.create({ customer: customer.id, collection_method: 'send_invoice', due_date: 1 }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'due_date' });
    const automatic = await stripe.invoices.create({ customer: customer.id });
    await expect(stripe.invoices.sendInvoice(automatic.id)).rejects.toThrow(/send_invoice/);
  });
});
