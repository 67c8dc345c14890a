import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  hasChromium,
  launchChromium,
  NEEDS_CHROMIUM,
  payOnHostedCheckout,
} from '../../../../test-support/chromium.js';
import { skipUnless } from '../../../../test-support/skips.js';
import { describeBillingEachDatabase } from '../support/billing-harness.js';

/** The Done-when path as a person takes it: Tollgate's Checkout URL, the hosted page, the test card. */
describeBillingEachDatabase('Checkout paid on the hosted page', (harness) => {
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (!hasChromium) return;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it(
    'pays Standard monthly with 4242 4242 4242 4242 and the organization is trialing',
    skipUnless(hasChromium, NEEDS_CHROMIUM),
    async () => {
      const h = harness();
      await h.request('POST', '/v1/organizations', { body: { id: 'browser', name: 'Browser Co' } });
      const checkout = await h.request('POST', '/v1/organizations/browser/checkout', {
        body: {
          plan: 'standard',
          interval: 'month',
          success_url: `${h.tollgate.context.publicUrl}/healthz?checkout=done`,
          cancel_url: `${h.tollgate.context.publicUrl}/healthz?checkout=cancelled`,
        },
      });
      expect(checkout.status).toBe(201);
      const page = await (browser as Browser).newPage();
      await page.goto(checkout.body.url);
      await payOnHostedCheckout(page);
      await page.waitForURL(/checkout=done/);
      await page.close();
      const subscription = await h.eventually(async () => {
        const response = await h.request('GET', '/v1/organizations/browser/subscription');
        return response.body.status === 'trialing' ? response.body : undefined;
      }, 'the trial after paying on the hosted page');
      expect(subscription).toMatchObject({ plan: 'standard', interval: 'month', source: 'stripe' });
    },
  );
});
