import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './support/harness.js';

describe('invoices, hosted invoice pages and tax', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness.close());

  async function paidInvoice() {
    const { stripe } = harness;
    const customer = await stripe.customers.create({
      name: 'Grace',
      email: 'grace@example.com',
      payment_method: 'pm_card_visa',
      address: { country: 'DE' },
    });
    const price = await stripe.prices.create({
      product_data: { name: 'Team' },
      currency: 'eur',
      unit_amount: 10_000,
      recurring: { interval: 'year' },
    });
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id, quantity: 3 }],
      automatic_tax: { enabled: true },
    });
    return {
      customer,
      subscription,
      invoice: await stripe.invoices.retrieve(subscription.latest_invoice as string),
    };
  }

  it('lists and retrieves invoices with lines, tax and totals', async () => {
    const { stripe } = harness;
    const { customer, subscription, invoice } = await paidInvoice();
    expect(invoice).toMatchObject({
      status: 'paid',
      currency: 'eur',
      subtotal: 30_000,
      total: 35_700,
      amount_paid: 35_700,
      customer_name: 'Grace',
    });
    expect(invoice.total_taxes?.[0]).toMatchObject({ amount: 5_700, taxability_reason: 'standard_rated' });
    expect(invoice.lines.data[0]).toMatchObject({ quantity: 3, amount: 30_000 });
    expect(invoice.parent?.subscription_details?.subscription).toBe(subscription.id);
    const listed = await stripe.invoices.list({ customer: customer.id });
    expect(listed.data.map((row) => row.id)).toEqual([invoice.id]);
    const lines = await stripe.invoices.listLineItems(invoice.id);
    expect(lines.data).toHaveLength(1);
    const rate = invoice.lines.data[0]?.taxes?.[0]?.tax_rate_details?.tax_rate as string;
    expect(rate).toMatch(/^txr_/);
  });

  it('serves the hosted invoice page and a real PDF', async () => {
    const { invoice } = await paidInvoice();
    const page = await fetch(invoice.hosted_invoice_url as string);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain(invoice.number as string);
    const pdf = await fetch(invoice.invoice_pdf as string);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    const bytes = Buffer.from(await pdf.arrayBuffer());
    const text = bytes.toString('latin1');
    expect(text.startsWith('%PDF-1.4')).toBe(true);
    expect(text.trimEnd().endsWith('%%EOF')).toBe(true);
    expect(text).toContain(`Invoice ${invoice.number}`);
    // The xref offset points at the xref table, so viewers can open the file.
    const startxref = Number(/startxref\n(\d+)/.exec(text)?.[1]);
    expect(text.slice(startxref, startxref + 4)).toBe('xref');
    const firstObject = Number(/xref\n0 \d+\n0000000000 65535 f \n(\d{10})/.exec(text)?.[1]);
    expect(text.slice(firstObject, firstObject + 7)).toBe('1 0 obj');
  });

  it('pays a zero manual invoice on finalization; voids or writes off open ones', async () => {
    const { stripe } = harness;
    const customer = await stripe.customers.create({ email: 'manual@example.com' });
    const draft = await stripe.invoices.create({
      customer: customer.id,
      description: 'Manual',
      metadata: { source: 'test' },
    });
    expect(draft).toMatchObject({
      status: 'draft',
      number: null,
      hosted_invoice_url: null,
      billing_reason: 'manual',
    });
    const finalized = await stripe.invoices.finalizeInvoice(draft.id);
    expect(finalized.status).toBe('paid');
    const again = await stripe.invoices.finalizeInvoice(draft.id).catch((error) => error);
    expect(again).toMatchObject({ type: 'StripeInvalidRequestError' });

    const price = await stripe.prices.create({
      product_data: { name: 'Unpaid' },
      currency: 'usd',
      unit_amount: 500,
      recurring: { interval: 'month' },
    });
    const openInvoice = async () => {
      const payer = await stripe.customers.create({ payment_method: 'pm_card_chargeCustomerFail' });
      const subscription = await stripe.subscriptions.create({
        customer: payer.id,
        items: [{ price: price.id }],
      });
      return stripe.invoices.retrieve(subscription.latest_invoice as string);
    };
    const first = await openInvoice();
    expect(first).toMatchObject({ status: 'open', attempt_count: 1, amount_remaining: 500 });
    const declined = await stripe.invoices.pay(first.id).catch((error) => error);
    expect(declined).toMatchObject({ type: 'StripeCardError', code: 'card_declined' });
    expect((await stripe.invoices.pay(first.id, { payment_method: 'pm_card_visa' })).status).toBe('paid');
    const payments = await stripe.invoicePayments.list({ invoice: first.id });
    expect(payments.data.map((payment) => payment.status)).toEqual(['paid', 'canceled', 'canceled']);
    const paidWith = await stripe.paymentIntents.retrieve(payments.data[0]?.payment.payment_intent as string);
    expect(paidWith).toMatchObject({ status: 'succeeded', amount_received: 500 });
    const second = await openInvoice();
    expect((await stripe.invoices.voidInvoice(second.id)).status).toBe('void');
    const third = await openInvoice();
    expect((await stripe.invoices.markUncollectible(third.id)).status).toBe('uncollectible');
    expect((await stripe.invoices.list({ status: 'void' })).data.map((row) => row.id)).toEqual([second.id]);
  });

  it('bills invoice items on a manual invoice and on the next subscription invoice', async () => {
    const { stripe } = harness;
    const customer = await stripe.customers.create({
      payment_method: 'pm_card_visa',
      address: { country: 'US', state: 'TX' },
    });
    const pack = await stripe.prices.create({
      product_data: { name: 'Credit pack' },
      currency: 'usd',
      unit_amount: 1500,
    });
    const pending = await stripe.invoiceItems.create({
      customer: customer.id,
      pricing: { price: pack.id },
      quantity: 2,
    });
    expect(pending).toMatchObject({ amount: 3000, invoice: null, quantity: 2 });
    const invoice = await stripe.invoices.create({
      customer: customer.id,
      pending_invoice_items_behavior: 'include',
      automatic_tax: { enabled: true },
    });
    expect(invoice).toMatchObject({ subtotal: 3000, total: 3188, amount_due: 3188, status: 'draft' });
    const extra = await stripe.invoiceItems.create({
      customer: customer.id,
      invoice: invoice.id,
      amount: 500,
      currency: 'usd',
      description: 'Setup fee',
    });
    expect(extra.invoice).toBe(invoice.id);
    const withExtra = await stripe.invoices.retrieve(invoice.id);
    expect(withExtra.lines.data.map((line) => line.amount)).toEqual([3000, 500]);
    expect(withExtra.subtotal).toBe(3500);
    await stripe.invoices.finalizeInvoice(invoice.id);
    const paid = await stripe.invoices.pay(invoice.id);
    expect(paid).toMatchObject({ status: 'paid', amount_paid: 3719 });
    expect((await stripe.invoiceItems.list({ customer: customer.id, pending: true })).data).toHaveLength(0);
  });

  it('calculates tax from the illustrative table; exempt and reverse-charge customers pay none', async () => {
    const { stripe } = harness;
    const calculation = await stripe.tax.calculations.create({
      currency: 'usd',
      line_items: [{ amount: 10_000, reference: 'plan' }],
      customer_details: {
        address: { country: 'US', state: 'NY', postal_code: '10001' },
        address_source: 'billing',
      },
    });
    expect(calculation).toMatchObject({ tax_amount_exclusive: 400, amount_total: 10_400 });
    expect(calculation.tax_breakdown[0]).toMatchObject({
      taxability_reason: 'standard_rated',
      tax_rate_details: { percentage_decimal: '4' },
    });
    const lines = await stripe.tax.calculations.listLineItems(calculation.id as string);
    expect(lines.data[0]).toMatchObject({ amount: 10_000, amount_tax: 400, reference: 'plan' });

    const exempt = await stripe.customers.create({ tax_exempt: 'exempt', address: { country: 'FR' } });
    const none = await stripe.tax.calculations.create({
      currency: 'eur',
      customer: exempt.id,
      line_items: [{ amount: 10_000, reference: 'x' }],
    });
    expect(none.tax_amount_exclusive).toBe(0);
    expect(none.tax_breakdown[0]?.taxability_reason).toBe('customer_exempt');
    const reverse = await stripe.tax.calculations.create({
      currency: 'eur',
      line_items: [{ amount: 10_000, reference: 'x' }],
      customer_details: {
        address: { country: 'NL' },
        address_source: 'billing',
        taxability_override: 'reverse_charge',
      },
    });
    expect(reverse.tax_breakdown[0]).toMatchObject({ amount: 0, taxability_reason: 'reverse_charge' });
    const missing = await stripe.tax.calculations
      .create({ currency: 'usd', line_items: [{ amount: 1, reference: 'x' }] })
      .catch((error) => error);
    expect(missing).toMatchObject({ code: 'parameter_missing' });
  });
});
