import { expect, it } from 'vitest';
import { stripeCallHandlersFor } from '../../src/billing/stripe-calls.js';
import { syncCatalogAtStart } from '../../src/stripe/catalog/sync-at-start.js';
import { deliverStripeOutbox } from '../../src/stripe/outbox.js';
import type { StripeGateway } from '../../src/stripe/stripe-gateway.js';
import { describeBillingEachDatabase, startStripeOutage } from '../support/billing-harness.js';

describeBillingEachDatabase('The Stripe customer', (harness) => {
  it('is created at the first Checkout with the organization id, address, tax status and tax ids', async () => {
    const h = harness();
    await h.request('POST', '/v1/organizations', {
      body: { id: 'taxed', name: 'Taxed GmbH', email: 'billing@taxed.example' },
    });
    const patched = await h.request('PATCH', '/v1/organizations/taxed', {
      body: {
        billing_address: { line1: 'Hauptstr. 1', city: 'Berlin', postal_code: '10115', country: 'DE' },
        tax_exempt: 'reverse',
        tax_ids: [{ type: 'eu_vat', value: 'DE123456789' }],
      },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      tax_exempt: 'reverse',
      billing_address: { country: 'DE' },
      stripe_customer_id: null,
    });
    const checkout = await h.request('POST', '/v1/organizations/taxed/checkout', {
      body: { credit_pack: 'credits_1k' },
    });
    expect(checkout.status).toBe(201);
    const { stripe_customer_id: customerId } = (await h.request('GET', '/v1/organizations/taxed')).body;
    const customer = await h.stripe.customers.retrieve(customerId);
    if (customer.deleted) throw new Error('customer deleted');
    expect(customer.metadata.tollgate_organization_id).toBe('taxed');
    expect(customer).toMatchObject({
      name: 'Taxed GmbH',
      email: 'billing@taxed.example',
      tax_exempt: 'reverse',
    });
    expect(customer.address?.country).toBe('DE');
    const taxIds = await h.stripe.customers.listTaxIds(customerId);
    expect(taxIds.data.map((taxId) => taxId.value)).toEqual(['DE123456789']);
    // The second Checkout reuses the customer.
    await h.request('POST', '/v1/organizations/taxed/checkout', { body: { credit_pack: 'credits_1k' } });
    expect((await h.request('GET', '/v1/organizations/taxed')).body.stripe_customer_id).toBe(customerId);
  });

  it('follows later changes through the outbox: delayed by an outage, delivered once it ends', async () => {
    const h = harness();
    await h.request('POST', '/v1/organizations', { body: { id: 'moving', name: 'Moving Co' } });
    await h.request('POST', '/v1/organizations/moving/portal', { body: {} });
    const customerId = (await h.request('GET', '/v1/organizations/moving')).body.stripe_customer_id as string;
    await h.request('PATCH', '/v1/organizations/moving', {
      body: { name: 'Moved Co', tax_exempt: 'exempt', tax_ids: [{ type: 'us_ein', value: '12-3456789' }] },
    });
    // One round of the outbox worker, through the given Stripe, at the given time.
    const deliver = (gateway: StripeGateway, at: Date) =>
      deliverStripeOutbox(h.tollgate.context.db, gateway, stripeCallHandlersFor(h.tollgate.context), at);
    const outage = await startStripeOutage();
    const now = new Date();
    try {
      expect(await deliver(outage.gateway, now)).toEqual({
        delivered: 0,
        failed: 1,
      });
    } finally {
      await outage.close();
    }
    const unchanged = await h.stripe.customers.retrieve(customerId);
    expect(!unchanged.deleted && unchanged.name).toBe('Moving Co');
    // Not due again until its backoff has passed; then delivered, once.
    expect(await deliver(h.gateway, now)).toEqual({
      delivered: 0,
      failed: 0,
    });
    const later = new Date(now.getTime() + 60_000);
    expect(await deliver(h.gateway, later)).toEqual({
      delivered: 1,
      failed: 0,
    });
    expect(await deliver(h.gateway, later)).toEqual({
      delivered: 0,
      failed: 0,
    });
    const updated = await h.stripe.customers.retrieve(customerId);
    expect(!updated.deleted && updated).toMatchObject({ name: 'Moved Co', tax_exempt: 'exempt' });
    expect((await h.stripe.customers.listTaxIds(customerId)).data.map((taxId) => taxId.value)).toEqual([
      '12-3456789',
    ]);
  });

  it('rejects a bad address, tax status or tax id, naming the field', async () => {
    const h = harness();
    await h.request('POST', '/v1/organizations', { body: { id: 'strict', name: 'Strict' } });
    for (const [body, field] of [
      [{ billing_address: { country: 'germany' } }, 'body.billing_address.country'],
      [{ tax_exempt: 'sometimes' }, 'body.tax_exempt'],
      [{ tax_ids: [{ type: 'vat', value: 'x' }] }, 'body.tax_ids.0.type'],
      [{ tax_ids: [{ type: 'eu_vat', value: 'DE\u0000' }] }, 'body.tax_ids.0.value'],
    ] as const) {
      const response = await h.request('PATCH', '/v1/organizations/strict', { body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.fields[0].field).toBe(field);
    }
  });

  it('queues a catalog sync that could not reach Stripe at start, and delivers it once Stripe is back', async () => {
    const h = harness();
    const outage = await startStripeOutage();
    const context = h.tollgate.context;
    const working = context.stripe;
    const logged: string[] = [];
    const log = {
      info: () => {},
      warn: () => {},
      error: (_: unknown, message: string) => logged.push(message),
    };
    context.stripe = outage.gateway;
    try {
      await syncCatalogAtStart(context, log as never);
    } finally {
      context.stripe = working;
      await outage.close();
    }
    expect(logged).toEqual(['stripe catalog sync failed; queued to be retried']);
    const later = new Date(Date.now() + 60_000);
    const handlers = stripeCallHandlersFor(context);
    expect(await deliverStripeOutbox(context.db, h.gateway, handlers, later)).toEqual({
      delivered: 1,
      failed: 0,
    });
    expect(await deliverStripeOutbox(context.db, h.gateway, handlers, later)).toEqual({
      delivered: 0,
      failed: 0,
    });
    const plans = await h.request('GET', '/v1/plans');
    const standard = plans.body.plans.find((plan: { code: string }) => plan.code === 'standard');
    expect(standard.prices.monthly.stripe_price_id).toMatch(/^price_/);
  });
});
