import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardCustomer } from './support/catalog.js';
import { type Harness, startHarness } from './support/harness.js';

const DAY = 86_400;
const START = Date.UTC(2026, 1, 1) / 1000;

describe('meter event adjustments', () => {
  let harness: Harness;
  let stripe: Stripe;
  let meter: Stripe.Billing.Meter;
  beforeAll(async () => {
    harness = await startHarness();
    stripe = harness.stripe;
    meter = await stripe.billing.meters.create({
      display_name: 'Executions',
      event_name: 'execution',
      default_aggregation: { formula: 'sum' },
    });
  });
  afterAll(() => harness.close());

  const record = (customer: string, identifier: string, value: string) =>
    stripe.billing.meterEvents.create({
      event_name: 'execution',
      identifier,
      payload: { stripe_customer_id: customer, value },
    });

  it('a cancelled event no longer counts in event summaries', async () => {
    const customer = await stripe.customers.create({});
    await record(customer.id, 'exec-a', '100');
    await record(customer.id, 'exec-b', '50');
    const adjustment = await stripe.billing.meterEventAdjustments.create({
      event_name: 'execution',
      type: 'cancel',
      cancel: { identifier: 'exec-b' },
    });
    expect(adjustment).toEqual({
      object: 'billing.meter_event_adjustment',
      cancel: { identifier: 'exec-b' },
      event_name: 'execution',
      livemode: false,
      status: 'pending',
      type: 'cancel',
    });
    const now = Math.floor(Date.now() / 1000);
    const summaries = await stripe.billing.meters.listEventSummaries(meter.id, {
      customer: customer.id,
      start_time: now - DAY,
      end_time: now + 3600,
    });
    expect(summaries.data[0]?.aggregated_value).toBe(100);
    // Sending the cancelled identifier again within the dedup window does not bring it back.
    await record(customer.id, 'exec-b', '50');
    const again = await stripe.billing.meters.listEventSummaries(meter.id, {
      customer: customer.id,
      start_time: now - DAY,
      end_time: now + 3600,
    });
    expect(again.data[0]?.aggregated_value).toBe(100);
  });

  it('a cancelled event is not billed at renewal', async () => {
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: START });
    const customer = await cardCustomer(stripe, { test_clock: clock.id });
    const product = await stripe.products.create({ name: 'Executions' });
    const price = await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount_decimal: Stripe.Decimal.from('2'),
      recurring: { interval: 'month', usage_type: 'metered', meter: meter.id },
    });
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
    });
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: START + DAY });
    await record(customer.id, 'renewal-1', '10');
    await record(customer.id, 'renewal-2', '7');
    await stripe.billing.meterEventAdjustments.create({
      event_name: 'execution',
      type: 'cancel',
      cancel: { identifier: 'renewal-2' },
    });
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: START + 29 * DAY });
    const renewed = await stripe.subscriptions.retrieve(subscription.id);
    const invoice = await stripe.invoices.retrieve(renewed.latest_invoice as string);
    expect(invoice.billing_reason).toBe('subscription_cycle');
    expect(invoice.lines.data.map((line) => [line.quantity, line.amount])).toEqual([[10, 20]]);
  });

  it('accepts an unknown identifier without changing anything, and answers Stripe-shaped errors', async () => {
    const unknown = await stripe.billing.meterEventAdjustments.create({
      event_name: 'execution',
      type: 'cancel',
      cancel: { identifier: 'never-sent' },
    });
    expect(unknown.status).toBe('pending');
    await expect(
      stripe.billing.meterEventAdjustments.create({
        event_name: 'no_such_meter',
        type: 'cancel',
        cancel: { identifier: 'x' },
      }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'event_name' });
    await expect(
      stripe.billing.meterEventAdjustments.create({ event_name: 'execution', type: 'cancel' }),
    ).rejects.toMatchObject({ statusCode: 400, code: 'parameter_missing', param: 'cancel' });
    await expect(
      stripe.billing.meterEventAdjustments.create({
        event_name: 'execution',
        type: 'restore' as 'cancel',
        cancel: { identifier: 'x' },
      }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'type' });
  });
});
