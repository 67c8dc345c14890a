import { expect, it } from 'vitest';
import { type BillingHarness, describeBillingEachDatabase } from '../support/billing-harness.js';

/** Posts an event to Tollgate's webhook endpoint as Stripe would, signed with the endpoint's secret. */
async function deliver(h: BillingHarness, payload: string, secret = h.gateway.webhookSecret as string) {
  const signature = h.stripe.webhooks.generateTestHeaderString({ payload, secret });
  return h.request('POST', '/v1/webhooks/stripe', {
    token: null,
    headers: { 'stripe-signature': signature, 'content-type': 'application/json' },
    body: payload,
  });
}

describeBillingEachDatabase('Credit packs and the webhook endpoint', (harness) => {
  it('grants a credit pack once however many times its event is delivered', async () => {
    const h = harness();
    await h.request('POST', '/v1/organizations', { body: { id: 'packs', name: 'Packs' } });
    const checkout = await h.request('POST', '/v1/organizations/packs/checkout', {
      body: { credit_pack: 'credits_1k', quantity: 2 },
    });
    expect(checkout.status).toBe(201);
    await h.payCheckout(checkout.body.id);
    await h.eventually(async () => {
      const credits = await h.request('GET', '/v1/organizations/packs/credits');
      return credits.body.balance === '2000';
    }, 'the pack to be granted');
    const [completed] = (
      await h.stripe.events.list({ type: 'checkout.session.completed', limit: 10 })
    ).data.filter((event) => (event.data.object as { id: string }).id === checkout.body.id);
    expect(completed).toBeDefined();
    const payload = JSON.stringify(completed);
    for (let delivery = 0; delivery < 3; delivery += 1) {
      const response = await deliver(h, payload);
      expect(response.status).toBe(200);
      expect(response.body.outcome).toBe('duplicate');
    }
    // The payment's own event names the same purchase: still granted once.
    const [paid] = (await h.stripe.events.list({ type: 'payment_intent.succeeded', limit: 10 })).data;
    expect(paid).toBeDefined();
    await deliver(h, JSON.stringify({ ...paid, id: `${paid?.id}_replayed_as_new` }));
    const credits = await h.request('GET', '/v1/organizations/packs/credits');
    expect(credits.body.balance).toBe('2000');
    const transactions = await h.request('GET', '/v1/organizations/packs/credits/transactions');
    expect(transactions.body.data.filter((entry: { kind: string }) => entry.kind === 'grant')).toHaveLength(
      1,
    );
  });

  it('refuses a forged or stale signature and changes nothing', async () => {
    const h = harness();
    await h.request('POST', '/v1/organizations', { body: { id: 'forged', name: 'Forged' } });
    const before = await h.request('GET', '/v1/stripe/events?limit=100');
    const event = {
      id: 'evt_forged_1',
      object: 'event',
      type: 'checkout.session.completed',
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      api_version: '2026-10-28.endive',
      data: {
        object: {
          id: 'cs_forged',
          object: 'checkout.session',
          mode: 'payment',
          payment_status: 'paid',
          client_reference_id: 'forged',
          metadata: {
            tollgate_organization_id: 'forged',
            tollgate_credit_pack: 'credits_10k',
            tollgate_quantity: '1',
            tollgate_purchase_id: 'pur_forged',
          },
        },
      },
    };
    const payload = JSON.stringify(event);
    const forged = await deliver(h, payload, 'whsec_not_the_real_secret');
    expect(forged.status).toBe(400);
    expect(forged.body.error.code).toBe('invalid_signature');
    const stale = h.stripe.webhooks.generateTestHeaderString({
      payload,
      secret: h.gateway.webhookSecret as string,
      timestamp: Math.floor(Date.now() / 1000) - 301,
    });
    const staleResponse = await h.request('POST', '/v1/webhooks/stripe', {
      token: null,
      headers: { 'stripe-signature': stale, 'content-type': 'application/json' },
      body: payload,
    });
    expect(staleResponse.status).toBe(400);
    const unsigned = await h.request('POST', '/v1/webhooks/stripe', { token: null, body: event });
    expect(unsigned.status).toBe(400);
    expect((await h.request('GET', '/v1/organizations/forged/credits')).body.balance).toBe('0');
    const after = await h.request('GET', '/v1/stripe/events?limit=100');
    expect(after.body.data.map((row: { id: string }) => row.id)).not.toContain('evt_forged_1');
    expect(after.body.data.length).toBe(before.body.data.length);
  });

  it('answers 5xx for an event it cannot apply, so Stripe retries, and lists it as failed for the operator', async () => {
    const h = harness();
    await h.request('POST', '/v1/organizations', { body: { id: 'broken', name: 'Broken' } });
    const checkout = await h.request('POST', '/v1/organizations/broken/checkout', {
      body: { credit_pack: 'credits_1k' },
    });
    const session = await h.stripe.checkout.sessions.retrieve(checkout.body.id);
    const customer = session.customer as string;
    // A subscription whose price is no catalog plan's: Tollgate cannot tell which plan it sells.
    const product = await h.stripe.products.create({ name: 'Not in the catalog' });
    const price = await h.stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 500,
      recurring: { interval: 'month' },
    });
    const subscription = await h.stripe.subscriptions.create({
      customer,
      items: [{ price: price.id }],
      trial_period_days: 7,
    });
    const event = {
      id: 'evt_unknown_price',
      object: 'event',
      type: 'customer.subscription.created',
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      api_version: '2026-10-28.endive',
      data: { object: subscription },
    };
    const failed = await deliver(h, JSON.stringify(event));
    expect(failed.status).toBe(500);
    const listed = await h.request('GET', '/v1/stripe/events?status=failed');
    const row = listed.body.data.find((entry: { id: string }) => entry.id === 'evt_unknown_price');
    expect(row).toMatchObject({ type: 'customer.subscription.created', status: 'failed', attempts: 1 });
    expect(row.last_error).toMatch(/not one of the catalog/);
    // Nothing of it was applied: the organization is still on the free plan.
    expect((await h.request('GET', '/v1/organizations/broken/subscription')).body.plan).toBe('free');
    // The operator lists failures; a session token cannot.
    const session2 = await h.request('POST', '/v1/organizations/broken/sessions', { body: {} });
    const forbidden = await h.request('GET', '/v1/stripe/events?status=failed', {
      token: session2.body.token,
    });
    expect(forbidden.status).toBe(403);
  });
});
