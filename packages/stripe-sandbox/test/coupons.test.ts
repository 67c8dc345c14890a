import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monthlyPrice } from './support/catalog.js';
import { type Harness, rawRequest, startHarness } from './support/harness.js';

const START = Date.UTC(2026, 0, 1) / 1000;
const FEB = Date.UTC(2026, 1, 1) / 1000;
const MAR = Date.UTC(2026, 2, 1) / 1000;
const APR = Date.UTC(2026, 3, 1) / 1000;

describe('coupons and promotion codes', () => {
  let harness: Harness;
  let stripe: Stripe;
  let price: Stripe.Price;
  let pack: Stripe.Price;
  beforeAll(async () => {
    harness = await startHarness();
    stripe = harness.stripe;
    price = await monthlyPrice(stripe, 2900, 'Standard');
    const credits = await stripe.products.create({ name: 'Credits' });
    pack = await stripe.prices.create({ product: credits.id, currency: 'usd', unit_amount: 5000 });
  });
  afterAll(() => harness.close());

  async function customerOnClock() {
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: START });
    const customer = await stripe.customers.create({ test_clock: clock.id });
    return { clock, customer };
  }

  async function checkout(customer: string, extra: Partial<Stripe.Checkout.SessionCreateParams>) {
    return stripe.checkout.sessions.create({
      mode: 'subscription',
      customer,
      line_items: [{ price: price.id, quantity: 1 }],
      success_url: 'https://host.example/ok',
      ...extra,
    });
  }

  const complete = (session: string, params: Record<string, string> = {}) =>
    stripe.rawRequest('POST', `/v1/test_helpers/checkout/sessions/${session}/complete`, {
      payment_method: 'pm_card_visa',
      ...params,
    }) as unknown as Promise<Stripe.Checkout.Session>;

  const invoicesOf = async (subscription: string) =>
    (await stripe.invoices.list({ subscription, limit: 100 })).data.reverse();

  it('creates, retrieves, updates, lists and deletes coupons', async () => {
    const percent = await stripe.coupons.create({
      percent_off: 25,
      duration: 'forever',
      name: 'Quarter off',
    });
    expect(percent).toMatchObject({
      object: 'coupon',
      percent_off: 25,
      amount_off: null,
      currency: null,
      duration: 'forever',
      duration_in_months: null,
      times_redeemed: 0,
      valid: true,
    });
    const fixed = await stripe.coupons.create({
      id: 'WELCOME10',
      amount_off: 1000,
      currency: 'usd',
      duration: 'repeating',
      duration_in_months: 2,
    });
    expect(fixed).toMatchObject({
      id: 'WELCOME10',
      amount_off: 1000,
      currency: 'usd',
      duration_in_months: 2,
    });
    expect(await stripe.coupons.retrieve('WELCOME10')).toEqual(fixed);
    expect((await stripe.coupons.update(percent.id, { name: 'Renamed' })).name).toBe('Renamed');
    const listed = await stripe.coupons.list();
    expect(listed.data.map((coupon) => coupon.id)).toEqual(expect.arrayContaining([percent.id, 'WELCOME10']));
    const scratch = await stripe.coupons.create({ percent_off: 5 });
    expect(await stripe.coupons.del(scratch.id)).toEqual({ id: scratch.id, object: 'coupon', deleted: true });
    await expect(stripe.coupons.retrieve(scratch.id)).rejects.toMatchObject({ statusCode: 404 });
  });

  it('creates promotion codes the way SDK v23 sends them, and lists them by code', async () => {
    const coupon = await stripe.coupons.create({ percent_off: 20, duration: 'once' });
    const code = await stripe.promotionCodes.create({
      promotion: { type: 'coupon', coupon: coupon.id },
      code: 'SPRING20',
      max_redemptions: 5,
    });
    expect(code).toMatchObject({
      object: 'promotion_code',
      code: 'SPRING20',
      active: true,
      promotion: { type: 'coupon', coupon: coupon.id },
      max_redemptions: 5,
      times_redeemed: 0,
      restrictions: { first_time_transaction: false, minimum_amount: null, minimum_amount_currency: null },
    });
    expect((await stripe.promotionCodes.list({ code: 'spring20' })).data.map((row) => row.id)).toEqual([
      code.id,
    ]);
    expect((await stripe.promotionCodes.list({ coupon: coupon.id, active: true })).data).toHaveLength(1);
    await expect(
      stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id }, code: 'spring20' }),
    ).rejects.toMatchObject({ statusCode: 400, code: 'resource_already_exists', param: 'code' });
    const inactive = await stripe.promotionCodes.update(code.id, { active: false });
    expect(inactive.active).toBe(false);
    expect((await stripe.promotionCodes.list({ code: 'SPRING20', active: true })).data).toEqual([]);
    // API version 2025-09-30 moved the coupon under `promotion`: a top-level `coupon` is refused.
    const legacy = await rawRequest(
      harness,
      'POST',
      '/v1/promotion_codes',
      `coupon=${coupon.id}&code=SPRING20`,
    );
    expect(legacy.status).toBe(400);
    expect(legacy.json.error).toMatchObject({ code: 'parameter_unknown', param: 'coupon' });
  });

  it('a forever coupon on Checkout discounts the first invoice and every renewal', async () => {
    const { clock, customer } = await customerOnClock();
    const coupon = await stripe.coupons.create({ percent_off: 25, duration: 'forever' });
    const session = await checkout(customer.id, { discounts: [{ coupon: coupon.id }] });
    expect(session.amount_subtotal).toBe(2900);
    expect(session.amount_total).toBe(2175);
    expect(session.total_details?.amount_discount).toBe(725);
    expect(session.discounts).toEqual([{ coupon: coupon.id, promotion_code: null }]);
    const completed = await complete(session.id);
    const subscription = await stripe.subscriptions.retrieve(completed.subscription as string);
    expect(subscription.status).toBe('active');
    expect(subscription.discounts).toHaveLength(1);
    const discountId = subscription.discounts[0] as string;
    const [first] = await invoicesOf(subscription.id);
    expect(first).toMatchObject({
      subtotal: 2900,
      total: 2175,
      amount_paid: 2175,
      discounts: [discountId],
      total_discount_amounts: [{ amount: 725, discount: discountId }],
    });
    expect(first?.lines.data[0]?.discount_amounts).toEqual([{ amount: 725, discount: discountId }]);
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: FEB + 7200 });
    const renewal = (await invoicesOf(subscription.id))[1];
    expect(renewal?.billing_reason).toBe('subscription_cycle');
    expect(renewal?.amount_paid).toBe(2175);
    expect((await stripe.coupons.retrieve(coupon.id)).times_redeemed).toBe(1);
    const expanded = await stripe.subscriptions.retrieve(subscription.id, { expand: ['discounts'] });
    expect(expanded.discounts[0]).toMatchObject({
      object: 'discount',
      source: { type: 'coupon', coupon: coupon.id },
      subscription: subscription.id,
      start: START,
      end: null,
    });
  });

  it('a once coupon skips the zero trial invoice and is used up by the first paid one', async () => {
    const { clock, customer } = await customerOnClock();
    const coupon = await stripe.coupons.create({ amount_off: 900, currency: 'usd', duration: 'once' });
    const session = await checkout(customer.id, {
      discounts: [{ coupon: coupon.id }],
      subscription_data: { trial_period_days: 14 },
    });
    expect(session.amount_total).toBe(0);
    const completed = await complete(session.id);
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: START + 15 * 86_400 });
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: START + 45 * 86_400 });
    const amounts = (await invoicesOf(completed.subscription as string)).map((invoice) => invoice.total);
    expect(amounts).toEqual([0, 2000, 2900]);
    expect((await stripe.subscriptions.retrieve(completed.subscription as string)).discounts).toEqual([]);
  });

  it('a repeating coupon applies for its months only', async () => {
    const { clock, customer } = await customerOnClock();
    await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    const coupon = await stripe.coupons.create({
      amount_off: 1000,
      currency: 'usd',
      duration: 'repeating',
      duration_in_months: 2,
    });
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      discounts: [{ coupon: coupon.id }],
    });
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: APR + 7200 });
    const totals = (await invoicesOf(subscription.id)).map((invoice) => [invoice.period_end, invoice.total]);
    expect(totals).toEqual([
      [START, 1900],
      [FEB, 1900],
      [MAR, 2900],
      [APR, 2900],
    ]);
  });

  it('allow_promotion_codes takes a typed code at completion, in subscription and payment mode', async () => {
    const coupon = await stripe.coupons.create({ percent_off: 10, duration: 'once' });
    const code = await stripe.promotionCodes.create({
      promotion: { type: 'coupon', coupon: coupon.id },
      code: 'TENOFF',
    });
    const { customer } = await customerOnClock();
    const session = await checkout(customer.id, { allow_promotion_codes: true });
    expect(session.allow_promotion_codes).toBe(true);
    const completed = await complete(session.id, { promotion_code: 'tenoff' });
    expect(completed.discounts).toEqual([{ coupon: null, promotion_code: code.id }]);
    expect(completed.amount_total).toBe(2610);
    const invoice = await stripe.invoices.retrieve(completed.invoice as string, { expand: ['discounts'] });
    expect(invoice.total).toBe(2610);
    expect((invoice.discounts[0] as Stripe.Discount).promotion_code).toBe(code.id);

    const buyer = await stripe.customers.create({});
    const payment = await stripe.checkout.sessions.create({
      mode: 'payment',
      customer: buyer.id,
      line_items: [{ price: pack.id, quantity: 2 }],
      allow_promotion_codes: true,
      success_url: 'https://host.example/ok',
    });
    const paid = await complete(payment.id, { promotion_code: 'TENOFF' });
    expect(paid.amount_total).toBe(9000);
    expect((await stripe.paymentIntents.retrieve(paid.payment_intent as string)).amount).toBe(9000);
    expect((await stripe.promotionCodes.retrieve(code.id)).times_redeemed).toBe(2);
    expect((await stripe.coupons.retrieve(coupon.id)).times_redeemed).toBe(2);

    const page = await fetch(
      (await checkout(customer.id, { allow_promotion_codes: true })).url as string,
    ).then((response) => response.text());
    expect(page).toContain('name="promotion_code"');
  });

  it('answers Stripe-shaped errors', async () => {
    const customer = await stripe.customers.create({});
    await expect(
      stripe.coupons.create({ percent_off: 10, amount_off: 100, currency: 'usd' }),
    ).rejects.toMatchObject({
      statusCode: 400,
      param: 'amount_off',
    });
    await expect(stripe.coupons.create({ amount_off: 100 })).rejects.toMatchObject({
      code: 'parameter_missing',
      param: 'currency',
    });
    await expect(stripe.coupons.create({ percent_off: 10, duration: 'repeating' })).rejects.toMatchObject({
      param: 'duration_in_months',
    });
    await expect(stripe.coupons.create({ percent_off: 120 })).rejects.toMatchObject({ param: 'percent_off' });
    await expect(
      stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: 'nope' } }),
    ).rejects.toMatchObject({
      statusCode: 404,
      param: 'promotion[coupon]',
    });
    await expect(checkout(customer.id, { discounts: [{ coupon: 'nope' }] })).rejects.toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
      param: 'discounts[0][coupon]',
    });
    const coupon = await stripe.coupons.create({ percent_off: 10, max_redemptions: 1 });
    await expect(
      checkout(customer.id, { discounts: [{ coupon: coupon.id }], allow_promotion_codes: true }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'discounts' });
    const plain = await checkout(customer.id, {});
    await expect(complete(plain.id, { promotion_code: 'TENOFF' })).rejects.toMatchObject({
      param: 'promotion_code',
    });
    const open = await checkout(customer.id, { allow_promotion_codes: true });
    await expect(complete(open.id, { promotion_code: 'NO-SUCH-CODE' })).rejects.toMatchObject({
      param: 'promotion_code',
    });
    const code = await stripe.promotionCodes.create({
      promotion: { type: 'coupon', coupon: coupon.id },
      active: false,
    });
    await expect(
      stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: price.id }],
        discounts: [{ promotion_code: code.id }],
      }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'discounts[0][promotion_code]' });
    await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      discounts: [{ coupon: coupon.id }],
    });
    expect((await stripe.coupons.retrieve(coupon.id)).valid).toBe(false);
    await expect(
      stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: price.id }],
        discounts: [{ coupon: coupon.id }],
      }),
    ).rejects.toThrow(/Coupon expired/);
  });
});
