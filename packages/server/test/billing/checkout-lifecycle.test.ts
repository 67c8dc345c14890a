import { expect, it } from 'vitest';
import { describeBillingEachDatabase } from '../support/billing-harness.js';

describeBillingEachDatabase('Checkout and the subscription lifecycle', (harness) => {
  it('takes an organization from free through Checkout to a trial, then active with its credits', async () => {
    const h = harness();
    expect((await h.request('POST', '/v1/organizations', { body: { id: 'acme', name: 'Acme' } })).status).toBe(201);
    const checkout = await h.request('POST', '/v1/organizations/acme/checkout', {
      body: { plan: 'standard', interval: 'month' },
    });
    expect(checkout.status).toBe(201);
    expect(checkout.body.url).toMatch(/^http/);
    const session = await h.stripe.checkout.sessions.retrieve(checkout.body.id, { expand: ['line_items'] });
    expect(session.client_reference_id).toBe('acme');
    expect(session.mode).toBe('subscription');
    expect(session.automatic_tax.enabled).toBe(true);

    await h.payCheckout(checkout.body.id);
    const trialing = await h.eventually(async () => {
      const response = await h.request('GET', '/v1/organizations/acme/subscription');
      return response.body.status === 'trialing' ? response.body : undefined;
    }, 'the subscription to be trialing');
    expect(trialing).toMatchObject({ plan: 'standard', interval: 'month', source: 'stripe', cancel_at_period_end: false });
    expect(trialing.stripe_subscription_id).toMatch(/^sub_/);
    expect(trialing.stripe_customer_id).toMatch(/^cus_/);
    // A trial is not a paid period: no subscription credits yet.
    expect((await h.request('GET', '/v1/organizations/acme/credits')).body.balance).toBe('0');

    await h.advanceClock('acme', 15);
    const active = await h.eventually(async () => {
      const response = await h.request('GET', '/v1/organizations/acme/subscription');
      return response.body.status === 'active' ? response.body : undefined;
    }, 'the subscription to become active');
    expect(active.plan).toBe('standard');
    const credits = await h.eventually(async () => {
      const response = await h.request('GET', '/v1/organizations/acme/credits');
      return response.body.balance === '10000' ? response.body : undefined;
    }, '10,000 subscription credits');
    expect(credits.balance).toBe('10000');

    const history = await h.request('GET', '/v1/organizations/acme/subscription/history');
    const changes = history.body.data.map((entry: { change: string }) => entry.change);
    expect(changes).toContain('created');
    expect(changes).toContain('status_changed');
  });
});
