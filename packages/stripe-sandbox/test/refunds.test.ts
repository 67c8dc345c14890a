import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './support/harness.js';

describe('refunds', () => {
  let harness: Harness;
  let stripe: Stripe;
  beforeAll(async () => {
    harness = await startHarness();
    stripe = harness.stripe;
  });
  afterAll(() => harness.close());

  async function payment(amount: number) {
    const customer = await stripe.customers.create({});
    return stripe.paymentIntents.create({
      amount,
      currency: 'usd',
      customer: customer.id,
      payment_method: 'pm_card_visa',
      confirm: true,
    });
  }

  it('refunds by payment_intent or charge, then lists and retrieves them', async () => {
    const first = await payment(5000);
    const second = await payment(3000);
    const partial = await stripe.refunds.create({
      payment_intent: first.id,
      amount: 1200,
      reason: 'requested_by_customer',
    });
    expect(partial).toMatchObject({
      object: 'refund',
      amount: 1200,
      status: 'succeeded',
      charge: first.latest_charge,
    });
    const rest = await stripe.refunds.create({
      charge: first.latest_charge as string,
      metadata: { ticket: 't-1' },
    });
    expect(rest.amount).toBe(3800);
    expect(rest.payment_intent).toBe(first.id);
    const other = await stripe.refunds.create({ payment_intent: second.id });
    expect(other.amount).toBe(3000);

    expect(await stripe.refunds.retrieve(rest.id)).toEqual(rest);
    const byIntent = await stripe.refunds.list({ payment_intent: first.id });
    expect(byIntent.data.map((refund) => refund.id)).toEqual([rest.id, partial.id]);
    const byCharge = await stripe.refunds.list({ charge: second.latest_charge as string });
    expect(byCharge.data.map((refund) => refund.id)).toEqual([other.id]);
    const all = await stripe.refunds.list({ limit: 2 });
    expect(all.has_more).toBe(true);
    const updated = await stripe.refunds.update(rest.id, { metadata: { ticket: '' } });
    expect(updated.metadata).toEqual({});
  });

  it('answers Stripe-shaped errors', async () => {
    const intent = await payment(1000);
    await expect(stripe.refunds.create({ payment_intent: intent.id, amount: 1001 })).rejects.toMatchObject({
      statusCode: 400,
      param: 'amount',
    });
    await expect(stripe.refunds.create({})).rejects.toMatchObject({ statusCode: 400 });
    await expect(stripe.refunds.create({ charge: 'ch_missing' })).rejects.toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
      param: 'charge',
    });
    await expect(stripe.refunds.retrieve('re_missing')).rejects.toMatchObject({ statusCode: 404 });
    await stripe.refunds.create({ payment_intent: intent.id });
    await expect(stripe.refunds.create({ payment_intent: intent.id })).rejects.toThrow(
      /already been refunded/,
    );
  });
});
