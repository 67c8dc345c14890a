import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './support/harness.js';

const DAY = 86_400;
const START = Date.UTC(2026, 2, 1) / 1000;

describe('subscriptions', () => {
  let harness: Harness;
  let standard: Stripe.Price;
  let pro: Stripe.Price;
  beforeAll(async () => {
    harness = await startHarness();
    const product = await harness.stripe.products.create({ name: 'Plans' });
    standard = await harness.stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 3000,
      recurring: { interval: 'month' },
    });
    pro = await harness.stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 9000,
      recurring: { interval: 'month' },
    });
  });
  afterAll(() => harness.close());

  async function subscribedCustomer() {
    const { stripe } = harness;
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: START });
    const customer = await stripe.customers.create({ test_clock: clock.id, payment_method: 'pm_card_visa' });
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: standard.id }],
    });
    return { clock, customer, subscription };
  }

  it('creates an active subscription whose first invoice is paid', async () => {
    const { subscription } = await subscribedCustomer();
    expect(subscription.status).toBe('active');
    expect(subscription.items.data[0]).toMatchObject({ quantity: 1, current_period_start: START });
    expect(subscription.items.data[0]?.current_period_end).toBe(Date.UTC(2026, 3, 1) / 1000);
    const invoice = await harness.stripe.invoices.retrieve(subscription.latest_invoice as string);
    expect(invoice).toMatchObject({
      status: 'paid',
      billing_reason: 'subscription_create',
      amount_paid: 3000,
    });
    expect(invoice.number).toMatch(/^[A-Z0-9]+-0001$/);
  });

  it('prorates an upgrade mid-period onto the next invoice, and previews it first', async () => {
    const { stripe } = harness;
    const { clock, subscription } = await subscribedCustomer();
    const halfway = START + 15 * DAY + 12 * 3600;
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: halfway });
    const itemId = subscription.items.data[0]?.id as string;
    const preview = await stripe.invoices.createPreview({
      subscription: subscription.id,
      subscription_details: {
        items: [{ id: itemId, price: pro.id }],
        proration_behavior: 'create_prorations',
        proration_date: halfway,
      },
    });
    const prorations = preview.lines.data.filter((line) => line.parent?.subscription_item_details?.proration);
    expect(prorations.map((line) => line.amount)).toEqual([-1500, 4500]);
    expect(preview.total).toBe(-1500 + 4500 + 9000);

    const updated = await stripe.subscriptions.update(subscription.id, {
      items: [{ id: itemId, price: pro.id }],
      proration_behavior: 'create_prorations',
    });
    expect(updated.items.data[0]?.price.id).toBe(pro.id);
    const updateEvents = await stripe.events.list({ type: 'customer.subscription.updated' });
    const latest = updateEvents.data[0] as Stripe.CustomerSubscriptionUpdatedEvent;
    expect(latest.data.previous_attributes?.items).toBeDefined();

    await stripe.testHelpers.testClocks.advance(clock.id, {
      frozen_time: Date.UTC(2026, 3, 1) / 1000 + 2 * 3600,
    });
    const renewed = await stripe.subscriptions.retrieve(subscription.id);
    const renewal = await stripe.invoices.retrieve(renewed.latest_invoice as string);
    expect(renewal.lines.data.map((line) => line.amount).sort((a, b) => a - b)).toEqual([-1500, 4500, 9000]);
    expect(renewal).toMatchObject({ status: 'paid', amount_paid: 12_000 });
  });

  it('invoices a downgrade at once with always_invoice and skips prorations with none', async () => {
    const { stripe } = harness;
    const { clock, subscription } = await subscribedCustomer();
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: START + 15 * DAY + 12 * 3600 });
    const itemId = subscription.items.data[0]?.id as string;
    const upgraded = await stripe.subscriptions.update(subscription.id, {
      items: [{ id: itemId, price: pro.id }],
      proration_behavior: 'always_invoice',
    });
    const invoice = await stripe.invoices.retrieve(upgraded.latest_invoice as string);
    expect(invoice).toMatchObject({
      billing_reason: 'subscription_update',
      status: 'paid',
      amount_paid: 3000,
    });
    const quiet = await stripe.subscriptions.update(subscription.id, {
      items: [{ id: itemId, price: standard.id }],
      proration_behavior: 'none',
    });
    expect(quiet.latest_invoice).toBe(invoice.id);
  });

  it('cancels immediately with customer.subscription.deleted and lists by status', async () => {
    const { stripe } = harness;
    const { customer, subscription } = await subscribedCustomer();
    const canceled = await stripe.subscriptions.cancel(subscription.id);
    expect(canceled).toMatchObject({ status: 'canceled', ended_at: START, canceled_at: START });
    const deleted = await stripe.events.list({ type: 'customer.subscription.deleted' });
    expect((deleted.data[0]?.data.object as Stripe.Subscription | undefined)?.id).toBe(subscription.id);
    expect((await stripe.subscriptions.list({ customer: customer.id })).data).toHaveLength(0);
    expect(
      (await stripe.subscriptions.list({ customer: customer.id, status: 'canceled' })).data,
    ).toHaveLength(1);
    const refused = await stripe.subscriptions
      .update(subscription.id, { items: [{ price: pro.id }] })
      .catch((error) => error);
    expect(refused).toMatchObject({ type: 'StripeInvalidRequestError' });
  });

  it('starts incomplete when the first payment fails and expires after 23 hours', async () => {
    const { stripe } = harness;
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: START });
    const customer = await stripe.customers.create({ test_clock: clock.id });
    const method = await stripe.paymentMethods.attach('pm_card_chargeCustomerFail', {
      customer: customer.id,
    });
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: standard.id }],
      default_payment_method: method.id,
    });
    expect(subscription.status).toBe('incomplete');
    const attach = await stripe.paymentMethods
      .attach('pm_card_chargeDeclined', { customer: customer.id })
      .catch((error) => error);
    expect(attach).toMatchObject({ type: 'StripeCardError', code: 'card_declined' });
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: START + DAY });
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe('incomplete_expired');
  });

  it('bills unbilled metered usage when canceled with invoice_now', async () => {
    const { stripe } = harness;
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: START });
    const customer = await stripe.customers.create({ test_clock: clock.id, payment_method: 'pm_card_visa' });
    const meter = await stripe.billing.meters.create({
      display_name: 'Runs',
      event_name: 'agent_run',
      default_aggregation: { formula: 'count' },
    });
    const perRun = await stripe.prices.create({
      product_data: { name: 'Agent runs' },
      currency: 'usd',
      unit_amount: 25,
      recurring: { interval: 'month', usage_type: 'metered', meter: meter.id },
    });
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: standard.id }, { price: perRun.id }],
    });
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: START + 3 * DAY });
    for (let run = 0; run < 4; run++) {
      await stripe.billing.meterEvents.create({
        event_name: 'agent_run',
        payload: { stripe_customer_id: customer.id },
      });
    }
    const canceled = await stripe.subscriptions.cancel(subscription.id, { invoice_now: true });
    expect(canceled.status).toBe('canceled');
    const final = await stripe.invoices.retrieve(canceled.latest_invoice as string);
    expect(final).toMatchObject({ status: 'paid', amount_paid: 100, period_end: START + 3 * DAY });
  });

  it('validates items and ids', async () => {
    const { stripe } = harness;
    const customer = await stripe.customers.create({});
    const missing = await stripe.subscriptions
      .create({ customer: customer.id, items: [{ price: 'price_nope' }] })
      .catch((error) => error);
    expect(missing).toMatchObject({ code: 'resource_missing', param: 'items[0][price]' });
    const unknown = await stripe.subscriptions.retrieve('sub_nope').catch((error) => error);
    expect(unknown).toMatchObject({ code: 'resource_missing', statusCode: 404 });
  });
});
