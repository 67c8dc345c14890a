import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { startHarness } from './support/harness.js';

const DAY = 86_400;
const START = Date.UTC(2026, 6, 1) / 1000;

/** A monthly subscription whose card starts failing before the first renewal. */
async function failingRenewal(afterFinalFailure: 'cancel' | 'unpaid' | 'past_due') {
  const harness = await startHarness({ billing: { retryDelaysDays: [2, 2, 3], afterFinalFailure } });
  const { stripe } = harness;
  const clock = await stripe.testHelpers.testClocks.create({ frozen_time: START });
  const customer = await stripe.customers.create({ test_clock: clock.id, payment_method: 'pm_card_visa' });
  const price = await stripe.prices.create({
    product_data: { name: 'Monthly' },
    currency: 'usd',
    unit_amount: 1000,
    recurring: { interval: 'month' },
  });
  const subscription = await stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: price.id }],
  });
  const failing = await stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: customer.id });
  await stripe.subscriptions.update(subscription.id, { default_payment_method: failing.id });
  const renewalAt = subscription.items.data[0]?.current_period_end as number;
  return { harness, stripe, clock, subscription, renewalAt };
}

async function attemptsOf(stripe: Stripe, subscription: string) {
  const latest = (await stripe.subscriptions.retrieve(subscription)).latest_invoice as string;
  return stripe.invoices.retrieve(latest);
}

describe('failed payment retries', () => {
  it('retries 3 times over 7 days, then cancels the subscription', async () => {
    const { harness, stripe, clock, subscription, renewalAt } = await failingRenewal('cancel');
    try {
      const firstAttempt = renewalAt + 3600;
      await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: firstAttempt + 60 });
      expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe('past_due');
      expect((await attemptsOf(stripe, subscription.id)).next_payment_attempt).toBe(firstAttempt + 2 * DAY);

      await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: firstAttempt + 4 * DAY + 60 });
      const afterTwoRetries = await attemptsOf(stripe, subscription.id);
      expect(afterTwoRetries).toMatchObject({
        attempt_count: 3,
        status: 'open',
        next_payment_attempt: firstAttempt + 7 * DAY,
      });
      expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe('past_due');

      await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: firstAttempt + 7 * DAY + 60 });
      const exhausted = await attemptsOf(stripe, subscription.id);
      expect(exhausted).toMatchObject({ attempt_count: 4, next_payment_attempt: null });
      const ended = await stripe.subscriptions.retrieve(subscription.id);
      expect(ended.status).toBe('canceled');
      expect(ended.cancellation_details?.reason).toBe('payment_failed');
      const failures = await stripe.events.list({ type: 'invoice.payment_failed' });
      expect(failures.data.map((event) => event.created)).toEqual([
        firstAttempt + 7 * DAY,
        firstAttempt + 4 * DAY,
        firstAttempt + 2 * DAY,
        firstAttempt,
      ]);
    } finally {
      await harness.close();
    }
  });

  it('marks the subscription unpaid when the settings say so', async () => {
    const { harness, stripe, clock, subscription, renewalAt } = await failingRenewal('unpaid');
    try {
      await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: renewalAt + 8 * DAY + 3600 });
      expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe('unpaid');
      expect((await attemptsOf(stripe, subscription.id)).status).toBe('open');
    } finally {
      await harness.close();
    }
  });
});
