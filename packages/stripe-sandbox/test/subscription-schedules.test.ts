import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monthlyPrice } from './support/catalog.js';
import { type Harness, startHarness } from './support/harness.js';

const DAY = 86_400;
const START = Date.UTC(2026, 2, 1) / 1000;
const APRIL = Date.UTC(2026, 3, 1) / 1000;
const MAY = Date.UTC(2026, 4, 1) / 1000;

describe('subscription schedules', () => {
  let harness: Harness;
  let stripe: Stripe;
  let enterprise: Stripe.Price;
  let standard: Stripe.Price;
  beforeAll(async () => {
    harness = await startHarness();
    stripe = harness.stripe;
    enterprise = await monthlyPrice(stripe, 9900, 'Enterprise');
    standard = await monthlyPrice(stripe, 2900, 'Standard');
  });
  afterAll(() => harness.close());

  async function activeOnEnterprise() {
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: START });
    const customer = await stripe.customers.create({ test_clock: clock.id });
    const card = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: enterprise.id }],
      default_payment_method: card.id,
    });
    expect(subscription.status).toBe('active');
    return { clock, customer, subscription };
  }

  async function scheduleDowngrade(subscription: Stripe.Subscription) {
    const created = await stripe.subscriptionSchedules.create({ from_subscription: subscription.id });
    const phase = created.phases[0] as Stripe.SubscriptionSchedule.Phase;
    return stripe.subscriptionSchedules.update(created.id, {
      end_behavior: 'release',
      phases: [
        {
          items: [{ price: enterprise.id, quantity: 1 }],
          start_date: phase.start_date,
          end_date: phase.end_date,
        },
        { items: [{ price: standard.id, quantity: 1 }], duration: { interval: 'month', interval_count: 1 } },
      ],
    });
  }

  it('from_subscription copies the current period as the first phase and links the subscription', async () => {
    const { subscription } = await activeOnEnterprise();
    const schedule = await stripe.subscriptionSchedules.create({ from_subscription: subscription.id });
    expect(schedule.id).toMatch(/^sub_sched_/);
    expect(schedule.status).toBe('active');
    expect(schedule.subscription).toBe(subscription.id);
    expect(schedule.end_behavior).toBe('release');
    expect(schedule.current_phase).toEqual({ start_date: START, end_date: APRIL });
    expect(schedule.phases).toHaveLength(1);
    expect(schedule.phases[0]?.items).toEqual([
      expect.objectContaining({ price: enterprise.id, quantity: 1 }),
    ]);
    expect((await stripe.subscriptions.retrieve(subscription.id)).schedule).toBe(schedule.id);
    const events = await stripe.events.list({ type: 'subscription_schedule.created' });
    expect(events.data.map((event) => (event.data.object as Stripe.SubscriptionSchedule).id)).toContain(
      schedule.id,
    );
  });

  it('a downgrade scheduled for the period end renews on the new price, then the schedule releases', async () => {
    const { clock, subscription } = await activeOnEnterprise();
    const schedule = await scheduleDowngrade(subscription);
    expect(schedule.phases.map((phase) => [phase.start_date, phase.end_date])).toEqual([
      [START, APRIL],
      [APRIL, MAY],
    ]);
    // Nothing changes before the boundary, but the upcoming invoice already shows the new price.
    expect((await stripe.subscriptions.retrieve(subscription.id)).items.data[0]?.price.id).toBe(
      enterprise.id,
    );
    const preview = await stripe.invoices.createPreview({
      customer: subscription.customer as string,
      subscription: subscription.id,
    });
    expect(preview.lines.data.map((line) => line.amount)).toEqual([2900]);
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: APRIL - 6 * DAY });
    const upcoming = (await stripe.events.list({ type: 'invoice.upcoming', limit: 100 })).data.find(
      (event) => (event.data.object as Stripe.Invoice).customer === subscription.customer,
    );
    expect((upcoming?.data.object as Stripe.Invoice | undefined)?.total).toBe(2900);

    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: APRIL + 2 * 3600 });
    const renewed = await stripe.subscriptions.retrieve(subscription.id);
    expect(renewed.items.data.map((item) => item.price.id)).toEqual([standard.id]);
    expect(renewed.items.data[0]?.current_period_start).toBe(APRIL);
    const invoice = await stripe.invoices.retrieve(renewed.latest_invoice as string);
    expect(invoice.billing_reason).toBe('subscription_cycle');
    expect(invoice.status).toBe('paid');
    expect(invoice.amount_paid).toBe(2900);
    expect(invoice.lines.data.map((line) => line.amount)).toEqual([2900]);
    const during = await stripe.subscriptionSchedules.retrieve(schedule.id);
    expect(during.status).toBe('active');
    expect(during.current_phase).toEqual({ start_date: APRIL, end_date: MAY });

    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: MAY + 2 * 3600 });
    const released = await stripe.subscriptionSchedules.retrieve(schedule.id);
    expect(released.status).toBe('released');
    expect(released.released_at).toBe(MAY);
    expect(released.released_subscription).toBe(subscription.id);
    expect(released.subscription).toBeNull();
    const after = await stripe.subscriptions.retrieve(subscription.id);
    expect(after.schedule).toBeNull();
    expect(after.status).toBe('active');
    expect(after.items.data[0]?.price.id).toBe(standard.id);
    expect(after.items.data[0]?.current_period_start).toBe(MAY);
    const types = (await stripe.events.list({ limit: 100 })).data
      .filter((event) => {
        const object = event.data.object as { id?: string };
        return object.id === schedule.id;
      })
      .map((event) => event.type);
    expect(types).toEqual(
      expect.arrayContaining([
        'subscription_schedule.created',
        'subscription_schedule.updated',
        'subscription_schedule.released',
      ]),
    );
  });

  it('release before the boundary undoes the downgrade', async () => {
    const { clock, subscription } = await activeOnEnterprise();
    const schedule = await scheduleDowngrade(subscription);
    const released = await stripe.subscriptionSchedules.release(schedule.id);
    expect(released.status).toBe('released');
    expect((await stripe.subscriptions.retrieve(subscription.id)).schedule).toBeNull();
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: APRIL + 2 * 3600 });
    const renewed = await stripe.subscriptions.retrieve(subscription.id);
    expect(renewed.items.data[0]?.price.id).toBe(enterprise.id);
    expect((await stripe.invoices.retrieve(renewed.latest_invoice as string)).amount_paid).toBe(9900);
  });

  it('cancel ends the schedule and its subscription now', async () => {
    const { subscription } = await activeOnEnterprise();
    const schedule = await scheduleDowngrade(subscription);
    const canceled = await stripe.subscriptionSchedules.cancel(schedule.id);
    expect(canceled.status).toBe('canceled');
    expect(canceled.canceled_at).toBe(START);
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe('canceled');
    const events = await stripe.events.list({ type: 'subscription_schedule.canceled' });
    expect(events.data.some((event) => (event.data.object as { id: string }).id === schedule.id)).toBe(true);
  });

  it('canceling the subscription itself cancels its schedule', async () => {
    const { subscription } = await activeOnEnterprise();
    const schedule = await scheduleDowngrade(subscription);
    await stripe.subscriptions.cancel(subscription.id);
    const after = await stripe.subscriptionSchedules.retrieve(schedule.id);
    expect(after.status).toBe('canceled');
    expect(after.canceled_at).toBe(START);
  });

  it('end_behavior cancel ends the subscription when the last phase ends', async () => {
    const { clock, subscription } = await activeOnEnterprise();
    const created = await stripe.subscriptionSchedules.create({ from_subscription: subscription.id });
    const updated = await stripe.subscriptionSchedules.update(created.id, { end_behavior: 'cancel' });
    expect(updated.end_behavior).toBe('cancel');
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: APRIL + 2 * 3600 });
    const completed = await stripe.subscriptionSchedules.retrieve(created.id);
    expect(completed.status).toBe('completed');
    expect(completed.completed_at).toBe(APRIL);
    const ended = await stripe.subscriptions.retrieve(subscription.id);
    expect(ended.status).toBe('canceled');
    expect(ended.ended_at).toBe(APRIL);
  });

  it('customer + phases starts a subscription now and lists by customer', async () => {
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: START });
    const customer = await stripe.customers.create({ test_clock: clock.id });
    const card = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: card.id } });
    const schedule = await stripe.subscriptionSchedules.create({
      customer: customer.id,
      start_date: 'now',
      end_behavior: 'release',
      phases: [
        { items: [{ price: enterprise.id, quantity: 2 }], duration: { interval: 'month' } },
        { items: [{ price: standard.id, quantity: 1 }] },
      ],
    });
    expect(schedule.status).toBe('active');
    const subscription = await stripe.subscriptions.retrieve(schedule.subscription as string);
    expect(subscription.status).toBe('active');
    expect(subscription.schedule).toBe(schedule.id);
    expect(subscription.items.data[0]?.quantity).toBe(2);
    expect(schedule.phases[1]?.end_date).toBe(MAY);
    const listed = await stripe.subscriptionSchedules.list({ customer: customer.id });
    expect(listed.data.map((row) => row.id)).toEqual([schedule.id]);
  });

  it('a future start_date waits, then creates the subscription', async () => {
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: START });
    const customer = await stripe.customers.create({ test_clock: clock.id });
    await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    const schedule = await stripe.subscriptionSchedules.create({
      customer: customer.id,
      start_date: START + 10 * DAY,
      phases: [{ items: [{ price: standard.id }] }],
    });
    expect(schedule.status).toBe('not_started');
    expect(schedule.subscription).toBeNull();
    expect(
      (await stripe.subscriptionSchedules.list({ scheduled: true })).data.map((row) => row.id),
    ).toContain(schedule.id);
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: START + 10 * DAY + 60 });
    const started = await stripe.subscriptionSchedules.retrieve(schedule.id);
    expect(started.status).toBe('active');
    const subscription = await stripe.subscriptions.retrieve(started.subscription as string);
    expect(subscription.start_date).toBe(START + 10 * DAY);
    expect(subscription.status).toBe('active');
  });

  it('answers Stripe-shaped errors', async () => {
    const { subscription } = await activeOnEnterprise();
    await expect(
      stripe.subscriptionSchedules.create({
        from_subscription: subscription.id,
        phases: [{ items: [{ price: standard.id }] }],
      }),
    ).rejects.toMatchObject({ type: 'StripeInvalidRequestError', param: 'phases' });
    await expect(stripe.subscriptionSchedules.retrieve('sub_sched_missing')).rejects.toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
    });
    const schedule = await stripe.subscriptionSchedules.create({ from_subscription: subscription.id });
    await expect(
      stripe.subscriptionSchedules.create({ from_subscription: subscription.id }),
    ).rejects.toMatchObject({ param: 'from_subscription' });
    await expect(
      stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true }),
    ).rejects.toThrow(/managed by the subscription schedule/);
    await expect(
      stripe.subscriptionSchedules.update(schedule.id, {
        phases: [{ items: [{ price: standard.id }], start_date: START + DAY, end_date: APRIL }],
      }),
    ).rejects.toMatchObject({ param: 'phases[0][start_date]' });
    await expect(
      stripe.subscriptionSchedules.update(schedule.id, {
        phases: [{ items: [{ price: 'price_missing' }], start_date: START }],
      }),
    ).rejects.toMatchObject({ statusCode: 404, param: 'phases[0][items][0][price]' });
    await expect(
      stripe.subscriptionSchedules.update(schedule.id, {
        phases: [{ items: [{ price: standard.id }], start_date: START, end_date: START }],
      }),
    ).rejects.toMatchObject({ param: 'phases[0][end_date]' });
    // API version 2025-09-30 removed `iterations`: Stripe answers it as an unknown parameter.
    await expect(
      stripe.subscriptionSchedules.update(schedule.id, {
        phases: [{ items: [{ price: standard.id }], start_date: START, iterations: 1 }],
      } as unknown as Stripe.SubscriptionScheduleUpdateParams),
    ).rejects.toMatchObject({ code: 'parameter_unknown', param: 'phases[0][iterations]' });
    await stripe.subscriptionSchedules.release(schedule.id);
    await expect(stripe.subscriptionSchedules.release(schedule.id)).rejects.toThrow(/`released` status/);
    await expect(
      stripe.subscriptionSchedules.update(schedule.id, { end_behavior: 'cancel' }),
    ).rejects.toThrow(/`released` status/);
  });
});
