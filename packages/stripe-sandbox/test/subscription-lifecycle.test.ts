import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness, startReceiver } from './support/harness.js';

const DAY = 86_400;
const START = Date.UTC(2026, 0, 1) / 1000;

describe('subscription lifecycle on a test clock', () => {
  let harness: Harness;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    harness = await startHarness();
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await harness.close();
    await receiver.close();
  });

  it('trial → active → metered renewal → failed payment → past_due → retry → active → canceled at period end', async () => {
    const { stripe } = harness;
    const endpoint = await stripe.webhookEndpoints.create({ url: receiver.url, enabled_events: ['*'] });
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: START, name: 'lifecycle' });
    const customer = await stripe.customers.create({ email: 'org@example.com', test_clock: clock.id });
    const meter = await stripe.billing.meters.create({
      display_name: 'API calls',
      event_name: 'api_call',
      default_aggregation: { formula: 'sum' },
      customer_mapping: { event_payload_key: 'stripe_customer_id', type: 'by_id' },
      value_settings: { event_payload_key: 'value' },
    });
    const product = await stripe.products.create({ name: 'Standard' });
    const base = await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 2900,
      recurring: { interval: 'month' },
      lookup_key: 'standard_monthly',
    });
    const overage = await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      billing_scheme: 'tiered',
      tiers_mode: 'graduated',
      recurring: { interval: 'month', usage_type: 'metered', meter: meter.id },
      tiers: [
        { up_to: 1000, unit_amount: 0 },
        { up_to: 'inf', unit_amount_decimal: Stripe.Decimal.from('0.5') },
      ],
    });

    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      client_reference_id: 'org_1',
      metadata: { organization_id: 'org_1' },
      line_items: [{ price: base.id, quantity: 1 }, { price: overage.id }],
      subscription_data: { trial_period_days: 14, metadata: { organization_id: 'org_1' } },
      success_url: 'https://host.example/billing?session={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://host.example/billing',
    });
    expect(session.url).toContain(`/checkout/${session.id}`);
    const completed = (await stripe.rawRequest(
      'POST',
      `/v1/test_helpers/checkout/sessions/${session.id}/complete`,
      {
        payment_method: 'pm_card_visa',
      },
    )) as unknown as Stripe.Checkout.Session;
    expect(completed.status).toBe('complete');
    expect(completed.client_reference_id).toBe('org_1');

    const subscriptionId = completed.subscription as string;
    let subscription = await stripe.subscriptions.retrieve(subscriptionId);
    expect(subscription.status).toBe('trialing');
    expect(subscription.trial_end).toBe(START + 14 * DAY);
    expect(subscription.metadata).toEqual({ organization_id: 'org_1' });

    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: START + 11 * DAY + 60 });
    const trialWillEnd = await stripe.events.list({ type: 'customer.subscription.trial_will_end' });
    expect(trialWillEnd.data).toHaveLength(1);
    expect(trialWillEnd.data[0]?.created).toBe(START + 11 * DAY);

    const trialEnd = START + 14 * DAY;
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: trialEnd + 2 * 3600 });
    subscription = await stripe.subscriptions.retrieve(subscriptionId);
    expect(subscription.status).toBe('active');
    const firstPaid = await stripe.invoices.retrieve(subscription.latest_invoice as string);
    expect(firstPaid).toMatchObject({
      status: 'paid',
      amount_paid: 2900,
      billing_reason: 'subscription_cycle',
    });

    // Usage in the first paid period: 1500 + 700 units, with one retried identifier counted once.
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: trialEnd + DAY });
    for (const [identifier, value] of [
      ['use-1', '1500'],
      ['use-1', '1500'],
      ['use-2', '700'],
    ] as const) {
      await stripe.billing.meterEvents.create({
        event_name: 'api_call',
        identifier,
        payload: { stripe_customer_id: customer.id, value },
      });
    }
    const periodEnd = subscription.items.data[0]?.current_period_end as number;
    const summary = await stripe.billing.meters.listEventSummaries(meter.id, {
      customer: customer.id,
      start_time: trialEnd,
      end_time: periodEnd,
    });
    expect(summary.data[0]?.aggregated_value).toBe(2200);

    // The card on the subscription is replaced by one that attaches but fails every charge.
    const failing = await stripe.paymentMethods.attach('pm_card_chargeCustomerFail', {
      customer: customer.id,
    });
    await stripe.subscriptions.update(subscriptionId, { default_payment_method: failing.id });
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: periodEnd + 2 * 3600 });
    subscription = await stripe.subscriptions.retrieve(subscriptionId);
    expect(subscription.status).toBe('past_due');
    const renewal = await stripe.invoices.retrieve(subscription.latest_invoice as string);
    expect(renewal.status).toBe('open');
    expect(renewal.attempt_count).toBe(1);
    expect(renewal.next_payment_attempt).toBe(periodEnd + 3600 + 2 * DAY);
    const meteredLine = renewal.lines.data.find(
      (line) => line.parent?.subscription_item_details?.subscription_item === subscription.items.data[1]?.id,
    );
    expect(meteredLine).toMatchObject({
      amount: 600,
      quantity: 2200,
      period: { start: trialEnd, end: periodEnd },
    });
    expect(renewal.amount_due).toBe(3500);
    expect(renewal.hosted_invoice_url).toContain(`/invoices/${renewal.id}`);

    const good = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    await stripe.subscriptions.update(subscriptionId, { default_payment_method: good.id });
    await stripe.testHelpers.testClocks.advance(clock.id, {
      frozen_time: (renewal.next_payment_attempt as number) + 60,
    });
    subscription = await stripe.subscriptions.retrieve(subscriptionId);
    expect(subscription.status).toBe('active');
    expect((await stripe.invoices.retrieve(renewal.id)).status).toBe('paid');

    await stripe.subscriptions.update(subscriptionId, { cancel_at_period_end: true });
    const lastPeriodEnd = subscription.items.data[0]?.current_period_end as number;
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: lastPeriodEnd + 60 });
    subscription = await stripe.subscriptions.retrieve(subscriptionId);
    expect(subscription.status).toBe('canceled');
    expect(subscription.ended_at).toBe(lastPeriodEnd);

    const types = (await stripe.events.list({ limit: 100 })).data.map((event) => event.type).reverse();
    const order = [
      'checkout.session.completed',
      'customer.subscription.trial_will_end',
      'invoice.payment_failed',
      'invoice.paid',
      'customer.subscription.deleted',
    ];
    let cursor = -1;
    for (const type of order) {
      const index = types.indexOf(type as Stripe.Event.Type, cursor + 1);
      expect(index, `${type} after ${order[order.indexOf(type) - 1]}`).toBeGreaterThan(cursor);
      cursor = index;
    }
    for (const type of [
      'customer.created',
      'customer.subscription.created',
      'invoice.created',
      'invoice.finalized',
      'invoice.payment_succeeded',
      'payment_intent.succeeded',
      'payment_intent.payment_failed',
      'invoice.upcoming',
    ]) {
      expect(types, type).toContain(type);
    }
    await receiver.waitFor((items) =>
      items.some((item) => item.body.includes('"customer.subscription.deleted"')),
    );
    for (const item of receiver.received) {
      expect(() =>
        stripe.webhooks.constructEvent(item.body, item.signature, endpoint.secret as string),
      ).not.toThrow();
    }
  });
});
