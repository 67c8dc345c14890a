import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  hasChromium,
  launchChromium,
  NEEDS_CHROMIUM,
  payOnHostedCheckout,
} from '../../../test-support/chromium.js';
import { skipUnless } from '../../../test-support/skips.js';
import { type Harness, startHarness } from './support/harness.js';

describe('hosted pages in headless Chromium', skipUnless(hasChromium, NEEDS_CHROMIUM), () => {
  let harness: Harness;
  let browser: Browser;
  beforeAll(async () => {
    harness = await startHarness();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await harness?.close();
  });

  async function subscriptionCheckout() {
    const { stripe } = harness;
    const price = await stripe.prices.create({
      product_data: { name: 'Browser plan' },
      currency: 'usd',
      unit_amount: 1900,
      recurring: { interval: 'month' },
    });
    return stripe.checkout.sessions.create({
      mode: 'subscription',
      customer_email: 'browser@example.com',
      line_items: [{ price: price.id, quantity: 1 }],
      success_url: `${harness.sandbox.url}/v1/done?session={CHECKOUT_SESSION_ID}`,
      cancel_url: `${harness.sandbox.url}/v1/cancelled`,
    });
  }

  it('pays a Checkout page with 4242 4242 4242 4242 and lands on the success URL', async () => {
    const session = await subscriptionCheckout();
    const page = await browser.newPage();
    await page.goto(session.url as string);
    await payOnHostedCheckout(page);
    await page.waitForURL(/\/v1\/done\?session=/);
    expect(page.url()).toContain(session.id);
    await page.close();

    const completed = await harness.stripe.checkout.sessions.retrieve(session.id);
    expect(completed).toMatchObject({ status: 'complete', payment_status: 'paid' });
    const subscription = await harness.stripe.subscriptions.retrieve(completed.subscription as string);
    expect(subscription.status).toBe('active');
    const customer = await harness.stripe.customers.retrieve(completed.customer as string);
    expect(customer).toMatchObject({ email: 'browser@example.com', name: 'Ada Lovelace' });
  });

  it('shows the decline for 4000 0000 0000 0002 and keeps the session open', async () => {
    const session = await subscriptionCheckout();
    const page = await browser.newPage();
    await page.goto(session.url as string);
    await page.fill('#card_number', '4000000000000002');
    await page.click('#submit');
    await expect(page.locator('[role=alert]').textContent()).resolves.toContain('declined');
    await page.close();
    expect((await harness.stripe.checkout.sessions.retrieve(session.id)).status).toBe('open');
  });

  it('cancels a plan from the Customer Portal page', async () => {
    const session = await subscriptionCheckout();
    await harness.stripe.rawRequest('POST', `/v1/test_helpers/checkout/sessions/${session.id}/complete`, {
      payment_method: 'pm_card_visa',
    });
    const completed = await harness.stripe.checkout.sessions.retrieve(session.id);
    const portal = await harness.stripe.billingPortal.sessions.create({
      customer: completed.customer as string,
      return_url: `${harness.sandbox.url}/v1/back`,
    });
    const page = await browser.newPage();
    await page.goto(portal.url);
    await page.click('text=Cancel plan');
    await expect(page.locator('.status').first().textContent()).resolves.toBe('active');
    await expect(page.locator('body').textContent()).resolves.toContain('cancels on');
    await page.close();
    const subscription = await harness.stripe.subscriptions.retrieve(completed.subscription as string);
    expect(subscription.cancel_at_period_end).toBe(true);
  });
});
