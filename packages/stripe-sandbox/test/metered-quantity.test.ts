import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardCustomer, monthlyPrice } from './support/catalog.js';
import { type Harness, startHarness } from './support/harness.js';

describe('a quantity on a metered price is refused, as Stripe refuses it', () => {
  let harness: Harness;
  let stripe: Stripe;
  let base: Stripe.Price;
  let metered: Stripe.Price;
  let customer: Stripe.Customer;
  beforeAll(async () => {
    harness = await startHarness();
    stripe = harness.stripe;
    base = await monthlyPrice(stripe, 2900);
    const meter = await stripe.billing.meters.create({
      display_name: 'Calls',
      event_name: 'call',
      default_aggregation: { formula: 'sum' },
    });
    metered = await stripe.prices.create({
      product: base.product as string,
      currency: 'usd',
      unit_amount: 1,
      recurring: { interval: 'month', usage_type: 'metered', meter: meter.id },
    });
    customer = await cardCustomer(stripe);
  });
  afterAll(() => harness.close());

  it('on subscriptions, their updates, schedule phases and Checkout line items', async () => {
    await expect(
      stripe.subscriptions.create({ customer: customer.id, items: [{ price: metered.id, quantity: 1 }] }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'items[0][quantity]' });
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: base.id, quantity: 2 }, { price: metered.id }],
    });
    expect(subscription.items.data.map((item) => item.quantity)).toEqual([2, undefined]);
    await expect(
      stripe.subscriptions.update(subscription.id, { items: [{ price: metered.id, quantity: 3 }] }),
    ).rejects.toMatchObject({ param: 'items[0][quantity]' });
    await expect(
      stripe.subscriptionSchedules.create({
        customer: customer.id,
        phases: [{ items: [{ price: metered.id, quantity: 1 }] }],
      }),
    ).rejects.toMatchObject({ param: 'phases[0][items][0][quantity]' });
    await expect(
      stripe.checkout.sessions.create({
        mode: 'subscription',
        customer: customer.id,
        line_items: [{ price: metered.id, quantity: 1 }],
        success_url: 'https://host.example/ok',
      }),
    ).rejects.toThrow(/Quantity should not be specified where usage_type is `metered`/);
  });
});
