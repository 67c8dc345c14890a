import { expect, it } from 'vitest';
import { describeBillingEachDatabase, startStripeOutage } from '../support/billing-harness.js';

describeBillingEachDatabase('Billing endpoints: bad input, other tenants, outages', (harness) => {
  it('names the field that is wrong', async () => {
    const h = harness();
    await h.request('POST', '/v1/organizations', { body: { id: 'errors', name: 'Errors' } });
    const cases: [unknown, string, string][] = [
      [{ plan: 'platinum' }, 'unknown_plan', 'plan'],
      [{ plan: 'standard', interval: 'week' }, 'invalid_request', 'body.interval'],
      [{ credit_pack: 'credits_1m' }, 'unknown_credit_pack', 'credit_pack'],
      [{ credit_pack: 'credits_1k', quantity: 0 }, 'invalid_request', 'body.quantity'],
      [{}, 'invalid_request', 'body.plan'],
      [{ plan: 'standard', credit_pack: 'credits_1k' }, 'invalid_request', 'body.plan'],
      [{ plan: 'standard', success_url: 'javascript:alert(1)' }, 'invalid_request', 'body.success_url'],
      [{ plan: 'free' }, 'free_plan', 'plan'],
      [{ plan: 'toString' }, 'unknown_plan', 'plan'],
      [{ credit_pack: '__proto__' }, 'unknown_credit_pack', 'credit_pack'],
    ];
    for (const [body, code, field] of cases) {
      const response = await h.request('POST', '/v1/organizations/errors/checkout', { body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.code, JSON.stringify(body)).toBe(code);
      const named = response.body.error.field ?? response.body.error.fields?.[0]?.field;
      expect(named, JSON.stringify(body)).toBe(field);
    }
    const change = await h.request('PUT', '/v1/organizations/errors/subscription', {
      body: { plan: 'standard' },
    });
    expect(change.status).toBe(409);
    expect(change.body.error.code).toBe('no_stripe_subscription');
    const missing = await h.request('POST', '/v1/organizations/nobody/checkout', {
      body: { plan: 'standard' },
    });
    expect(missing.status).toBe(404);
  });

  it('lets a session token act for its own organization only, and never assign a plan without payment', async () => {
    const h = harness();
    await h.request('POST', '/v1/organizations', { body: { id: 'mine', name: 'Mine' } });
    await h.request('POST', '/v1/organizations', { body: { id: 'theirs', name: 'Theirs' } });
    const token = (await h.request('POST', '/v1/organizations/mine/sessions', { body: {} })).body.token;
    const own = await h.request('POST', '/v1/organizations/mine/checkout', {
      token,
      body: { plan: 'standard' },
    });
    expect(own.status).toBe(201);
    const portal = await h.request('POST', '/v1/organizations/mine/portal', { token, body: {} });
    expect(portal.status).toBe(201);
    expect(portal.body.url).toMatch(/^http/);
    for (const [method, path, body] of [
      ['POST', '/v1/organizations/theirs/checkout', { plan: 'standard' }],
      ['POST', '/v1/organizations/theirs/portal', {}],
      ['POST', '/v1/organizations/theirs/subscription/preview', { plan: 'enterprise' }],
      ['GET', '/v1/organizations/theirs/invoices', undefined],
      ['GET', '/v1/organizations/theirs/subscription', undefined],
    ] as const) {
      const response = await h.request(method, path, { token, body });
      expect(response.status, path).toBe(404);
    }
    const manual = await h.request('PUT', '/v1/organizations/mine/subscription', {
      token,
      body: { plan: 'enterprise', source: 'manual' },
    });
    expect(manual.status).toBe(403);
    expect((await h.request('GET', '/v1/organizations/mine/subscription')).body.plan).toBe('free');
    const advance = await h.request('POST', '/v1/sandbox/organizations/mine/advance', {
      token,
      body: { days: 1 },
    });
    expect(advance.status).toBe(403);
    const noKey = await h.request('POST', '/v1/organizations/mine/checkout', {
      token: null,
      body: { plan: 'standard' },
    });
    expect(noKey.status).toBe(401);
    // The operator may still assign a plan without payment.
    const operator = await h.request('PUT', '/v1/organizations/mine/subscription', {
      body: { plan: 'enterprise', source: 'manual' },
    });
    expect(operator.status).toBe(200);
    expect(operator.body.subscription).toMatchObject({ plan: 'enterprise', source: 'manual' });
  });

  it('answers 503 stripe_unavailable when Stripe cannot be reached, and writes nothing', async () => {
    const h = harness();
    await h.request('POST', '/v1/organizations', { body: { id: 'outage', name: 'Outage' } });
    // Every call answers 500, as Stripe does when it is down.
    const context = h.tollgate.context;
    const working = context.stripe;
    const outage = await startStripeOutage({ status: 500, webhookSecret: working?.webhookSecret ?? null });
    context.stripe = outage.gateway;
    try {
      const response = await h.request('POST', '/v1/organizations/outage/checkout', {
        body: { plan: 'standard' },
      });
      expect(response.status).toBe(503);
      expect(response.body.error.code).toBe('stripe_unavailable');
      const organization = await h.request('GET', '/v1/organizations/outage');
      expect(organization.body.stripe_customer_id).toBeNull();
    } finally {
      context.stripe = working;
      await outage.close();
    }
  });
});
