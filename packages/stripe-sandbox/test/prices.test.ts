import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './support/harness.js';

describe('products and prices', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness.close());

  it('creates monthly, yearly and one-time prices and finds them by lookup key', async () => {
    const { stripe } = harness;
    const product = await stripe.products.create({ name: 'Standard', metadata: { plan: 'standard' } });
    const monthly = await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 2900,
      recurring: { interval: 'month' },
      lookup_key: 'standard_monthly',
    });
    const yearly = await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 29000,
      recurring: { interval: 'year' },
      lookup_key: 'standard_yearly',
    });
    const pack = await stripe.prices.create({
      product_data: { name: 'Credit pack' },
      currency: 'usd',
      unit_amount: 1000,
      lookup_key: 'credits_1000',
    });
    expect(monthly.recurring).toEqual({
      interval: 'month',
      interval_count: 1,
      meter: null,
      trial_period_days: null,
      usage_type: 'licensed',
    });
    expect(pack.type).toBe('one_time');
    expect(pack.recurring).toBeNull();

    const found = await stripe.prices.list({ lookup_keys: ['standard_monthly', 'standard_yearly'] });
    expect(found.data.map((price) => price.id).sort()).toEqual([monthly.id, yearly.id].sort());
    const searched = await stripe.prices.search({ query: "lookup_key:'credits_1000'" });
    expect(searched.data.map((price) => price.id)).toEqual([pack.id]);

    const duplicate = await stripe.prices
      .create({ product: product.id, currency: 'usd', unit_amount: 1, lookup_key: 'standard_monthly' })
      .catch((error) => error);
    expect(duplicate).toMatchObject({ type: 'StripeInvalidRequestError', param: 'lookup_key' });
    const moved = await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 3100,
      recurring: { interval: 'month' },
      lookup_key: 'standard_monthly',
      transfer_lookup_key: true,
    });
    const after = await stripe.prices.list({ lookup_keys: ['standard_monthly'] });
    expect(after.data.map((price) => price.id)).toEqual([moved.id]);
    expect((await stripe.prices.retrieve(monthly.id)).lookup_key).toBeNull();
  });

  it('keeps graduated tiers with decimal unit amounts', async () => {
    const { stripe } = harness;
    const meter = await stripe.billing.meters.create({
      display_name: 'API calls',
      event_name: 'api_call',
      default_aggregation: { formula: 'sum' },
    });
    const price = await stripe.prices.create({
      product_data: { name: 'API overage' },
      currency: 'usd',
      billing_scheme: 'tiered',
      tiers_mode: 'graduated',
      recurring: { interval: 'month', usage_type: 'metered', meter: meter.id },
      tiers: [
        { up_to: 1000, unit_amount_decimal: Stripe.Decimal.from('0') },
        { up_to: 'inf', unit_amount_decimal: Stripe.Decimal.from('0.25') },
      ],
      expand: ['tiers'],
    });
    expect(price.recurring?.meter).toBe(meter.id);
    expect(price.tiers?.[1]?.up_to).toBeNull();
    expect(String(price.tiers?.[1]?.unit_amount_decimal)).toBe('0.25');
    expect(price.unit_amount).toBeNull();
  });

  it('creates a product with its default price in one call', async () => {
    const { stripe } = harness;
    const product = await stripe.products.create({
      name: 'Starter',
      default_price_data: { currency: 'usd', unit_amount: 900, recurring: { interval: 'month' } },
      expand: ['default_price'],
    });
    const price = product.default_price as Stripe.Price;
    expect(price).toMatchObject({
      object: 'price',
      product: product.id,
      unit_amount: 900,
      type: 'recurring',
    });
  });

  it('updates and lists products by active flag', async () => {
    const { stripe } = harness;
    const product = await stripe.products.create({ name: 'Old plan' });
    const archived = await stripe.products.update(product.id, {
      active: false,
      metadata: { archived: 'yes' },
    });
    expect(archived.active).toBe(false);
    const inactive = await stripe.products.list({ active: false });
    expect(inactive.data.map((row) => row.id)).toContain(product.id);
  });
});
