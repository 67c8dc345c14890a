import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardCustomer, monthlyPrice } from './support/catalog.js';
import { type Harness, startHarness } from './support/harness.js';

describe("Stripe's documented test patterns for payment methods", () => {
  let harness: Harness;
  let stripe: Stripe;
  let price: Stripe.Price;
  beforeAll(async () => {
    harness = await startHarness();
    stripe = harness.stripe;
    price = await monthlyPrice(stripe, 2900, 'Standard');
  });
  afterAll(() => harness.close());

  it('a customer created with pm_card_visa as payment method and default gets active subscriptions', async () => {
    // Spelled out here: this is the pattern under test.
    const customer = await stripe.customers.create({
      email: 'visa@example.com',
      payment_method: 'pm_card_visa',
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    const cards = await stripe.paymentMethods.list({ customer: customer.id });
    expect(cards.data).toHaveLength(1);
    const card = cards.data[0] as Stripe.PaymentMethod;
    expect(card.card?.last4).toBe('4242');
    expect(customer.invoice_settings.default_payment_method).toBe(card.id);

    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
    });
    expect(subscription.status).toBe('active');
    const invoice = await stripe.invoices.retrieve(subscription.latest_invoice as string);
    expect(invoice.status).toBe('paid');
    const payments = await stripe.invoicePayments.list({ invoice: invoice.id });
    const intent = await stripe.paymentIntents.retrieve(payments.data[0]?.payment.payment_intent as string);
    expect(intent.payment_method).toBe(card.id);
  });

  it('subscriptions.create with a token as default_payment_method attaches a card and starts active', async () => {
    const customer = await stripe.customers.create({ email: 'token@example.com' });
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      default_payment_method: 'pm_card_visa',
    });
    expect(subscription.status).toBe('active');
    expect(subscription.default_payment_method).toMatch(/^pm_/);
    const method = await stripe.paymentMethods.retrieve(subscription.default_payment_method as string);
    expect(method.customer).toBe(customer.id);
  });

  it('refuses a default payment method that belongs to another customer', async () => {
    const owner = await stripe.customers.create({ payment_method: 'pm_card_visa' });
    const card = (await stripe.paymentMethods.list({ customer: owner.id })).data[0] as Stripe.PaymentMethod;
    const other = await stripe.customers.create({});
    await expect(
      stripe.subscriptions.create({
        customer: other.id,
        items: [{ price: price.id }],
        default_payment_method: card.id,
      }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'default_payment_method' });
    await expect(
      stripe.customers.update(other.id, { invoice_settings: { default_payment_method: card.id } }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'invoice_settings[default_payment_method]' });
    await expect(
      stripe.customers.update(other.id, { invoice_settings: { default_payment_method: 'pm_missing' } }),
    ).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });

  it('payment_behavior: default_incomplete leaves the first invoice open and unpaid', async () => {
    const customer = await cardCustomer(stripe);
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      payment_behavior: 'default_incomplete',
    });
    expect(subscription.status).toBe('incomplete');
    const invoice = await stripe.invoices.retrieve(subscription.latest_invoice as string);
    expect(invoice.status).toBe('open');
    expect(invoice.attempt_count).toBe(0);
  });

  it('payment_behavior: error_if_incomplete answers 402 and creates nothing when the card fails', async () => {
    const customer = await stripe.customers.create({
      payment_method: 'pm_card_chargeCustomerFail',
      invoice_settings: { default_payment_method: 'pm_card_chargeCustomerFail' },
    });
    await expect(
      stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: price.id }],
        payment_behavior: 'error_if_incomplete',
      }),
    ).rejects.toMatchObject({ type: 'StripeCardError', statusCode: 402, code: 'card_declined' });
    expect((await stripe.subscriptions.list({ customer: customer.id, status: 'all' })).data).toEqual([]);

    const bare = await stripe.customers.create({});
    await expect(
      stripe.subscriptions.create({
        customer: bare.id,
        items: [{ price: price.id }],
        payment_behavior: 'error_if_incomplete',
      }),
    ).rejects.toThrow(/no attached payment source or default payment method/);
  });

  it('allow_incomplete (the default) with a failing card leaves the subscription incomplete', async () => {
    const customer = await stripe.customers.create({
      payment_method: 'pm_card_chargeCustomerFail',
      invoice_settings: { default_payment_method: 'pm_card_chargeCustomerFail' },
    });
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
    });
    expect(subscription.status).toBe('incomplete');
  });
});
