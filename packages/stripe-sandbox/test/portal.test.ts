import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './support/harness.js';

describe('customer portal', () => {
  let harness: Harness;
  let standard: Stripe.Price;
  let pro: Stripe.Price;
  beforeAll(async () => {
    harness = await startHarness();
    const product = await harness.stripe.products.create({ name: 'Tiers' });
    standard = await harness.stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 2000,
      recurring: { interval: 'month' },
    });
    pro = await harness.stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 6000,
      recurring: { interval: 'month' },
    });
  });
  afterAll(() => harness.close());

  const form = (url: string, fields: Record<string, string>) =>
    fetch(url, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual' });

  it('configures the portal and lets a customer switch plan, replace the card and cancel', async () => {
    const { stripe } = harness;
    const configuration = await stripe.billingPortal.configurations.create({
      business_profile: { headline: 'Manage your plan' },
      default_return_url: 'https://host.example/billing',
      features: {
        invoice_history: { enabled: true },
        payment_method_update: { enabled: true },
        subscription_cancel: { enabled: true, mode: 'at_period_end' },
        subscription_update: {
          enabled: true,
          default_allowed_updates: ['price'],
          proration_behavior: 'none',
          products: [{ product: standard.product as string, prices: [standard.id, pro.id] }],
        },
      },
    });
    expect(configuration.features.subscription_update).toMatchObject({
      enabled: true,
      proration_behavior: 'none',
    });
    expect(
      (await stripe.billingPortal.configurations.retrieve(configuration.id)).business_profile.headline,
    ).toBe('Manage your plan');
    const updated = await stripe.billingPortal.configurations.update(configuration.id, {
      metadata: { owner: 'tollgate' },
    });
    expect(updated.metadata).toEqual({ owner: 'tollgate' });

    const customer = await stripe.customers.create({
      email: 'portal@example.com',
      payment_method: 'pm_card_visa',
    });
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: standard.id }],
    });
    const session = await stripe.billingPortal.sessions.create({
      customer: customer.id,
      configuration: configuration.id,
    });
    expect(session.return_url).toBe('https://host.example/billing');

    const page = await fetch(session.url);
    const html = await page.text();
    expect(html).toContain('portal@example.com');
    expect(html).toContain(pro.id);

    const switched = await form(`${session.url}/switch`, { subscription: subscription.id, price: pro.id });
    expect(switched.status).toBe(303);
    const afterSwitch = await stripe.subscriptions.retrieve(subscription.id);
    expect(afterSwitch.items.data[0]?.price.id).toBe(pro.id);
    expect((await stripe.invoiceItems.list({ customer: customer.id })).data).toHaveLength(0);

    const declined = await form(`${session.url}/card`, { card_number: '4000000000000002' });
    expect(declined.status).toBe(402);
    expect(await declined.text()).toContain('declined');
    const replaced = await form(`${session.url}/card`, { card_number: '5555555555554444' });
    expect(replaced.status).toBe(303);
    const card = await stripe.paymentMethods.retrieve(
      (await stripe.subscriptions.retrieve(subscription.id)).default_payment_method as string,
    );
    expect(card.card?.last4).toBe('4444');

    const canceled = await form(`${session.url}/cancel`, { subscription: subscription.id });
    expect(canceled.status).toBe(303);
    expect((await stripe.subscriptions.retrieve(subscription.id)).cancel_at_period_end).toBe(true);

    const stranger = await stripe.customers.create({});
    const otherSession = await stripe.billingPortal.sessions.create({
      customer: stranger.id,
      return_url: 'https://host.example',
    });
    const foreign = await form(`${otherSession.url}/cancel`, { subscription: subscription.id });
    expect(foreign.status).toBe(404);
  });

  it('requires a return_url when the configuration has none', async () => {
    const { stripe } = harness;
    const customer = await stripe.customers.create({});
    const bare = await stripe.billingPortal.configurations.create({
      features: { invoice_history: { enabled: true } },
    });
    const missing = await stripe.billingPortal.sessions
      .create({ customer: customer.id, configuration: bare.id })
      .catch((error) => error);
    expect(missing).toMatchObject({ code: 'parameter_missing', param: 'return_url' });
    const unknownCustomer = await stripe.billingPortal.sessions
      .create({ customer: 'cus_missing', return_url: 'https://x.example' })
      .catch((error) => error);
    expect(unknownCustomer).toMatchObject({ code: 'resource_missing', param: 'customer' });
  });
});
