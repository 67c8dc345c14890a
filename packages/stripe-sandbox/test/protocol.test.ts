import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, rawRequest, startHarness } from './support/harness.js';

describe('protocol', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness.close());

  it('answers a missing or non-test key with a 401 authentication error', async () => {
    const wrongKey = new Stripe('pk_live_nope', {
      host: '127.0.0.1',
      port: harness.sandbox.port,
      protocol: 'http',
    });
    const error = await wrongKey.customers.list().catch((caught) => caught);
    expect(error).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect(error.statusCode).toBe(401);
    expect(error.message).not.toContain('pk_live_nope');

    const anonymous = await fetch(`${harness.sandbox.url}/v1/customers`);
    expect(anonymous.status).toBe(401);
    const body = (await anonymous.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toContain('did not provide an API key');
  });

  it('replays the same response for a repeated Idempotency-Key and rejects it with other params', async () => {
    const { stripe } = harness;
    const first = await stripe.customers.create({ email: 'once@example.com' }, { idempotencyKey: 'key-1' });
    const again = await stripe.customers.create({ email: 'once@example.com' }, { idempotencyKey: 'key-1' });
    expect(again.id).toBe(first.id);
    const all = await stripe.customers.list({ email: 'once@example.com' });
    expect(all.data).toHaveLength(1);

    const conflict = await stripe.customers
      .create({ email: 'other@example.com' }, { idempotencyKey: 'key-1' })
      .catch((error) => error);
    expect(conflict).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(conflict.statusCode).toBe(400);

    const replay = await rawRequest(harness, 'POST', '/v1/customers', 'email=raw%40example.com', {
      'idempotency-key': 'k2',
    });
    const replayed = await rawRequest(harness, 'POST', '/v1/customers', 'email=raw%40example.com', {
      'idempotency-key': 'k2',
    });
    expect(replayed.json.id).toBe(replay.json.id);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
  });

  it('decodes nested form parameters, including arrays of objects', async () => {
    const response = await rawRequest(
      harness,
      'POST',
      '/v1/products',
      'name=Nested&metadata[a]=1&metadata[b]=two&marketing_features[0][name]=Fast&marketing_features[1][name]=Cheap',
    );
    expect(response.status).toBe(200);
    expect(response.json.metadata).toEqual({ a: '1', b: 'two' });
    expect(response.json.marketing_features).toEqual([{ name: 'Fast' }, { name: 'Cheap' }]);
  });

  it('reports wrong types and missing parameters with Stripe codes', async () => {
    const badInteger = await rawRequest(
      harness,
      'POST',
      '/v1/prices',
      'currency=usd&unit_amount=ten&product_data[name]=x',
    );
    expect(badInteger.status).toBe(400);
    expect(badInteger.json.error).toMatchObject({
      type: 'invalid_request_error',
      code: 'parameter_invalid_integer',
      param: 'unit_amount',
    });
    const missing = await rawRequest(harness, 'POST', '/v1/prices', 'unit_amount=100&product_data[name]=x');
    expect(missing.json.error).toMatchObject({ code: 'parameter_missing', param: 'currency' });
    const nestedMissing = await rawRequest(
      harness,
      'POST',
      '/v1/prices',
      'currency=usd&unit_amount=1&product_data[active]=true',
    );
    expect(nestedMissing.json.error).toMatchObject({
      code: 'parameter_missing',
      param: 'product_data[name]',
    });
  });

  it('expands ids into objects on request', async () => {
    const { stripe } = harness;
    const product = await stripe.products.create({ name: 'Expandable' });
    const price = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 500 });
    const expanded = await stripe.prices.retrieve(price.id, { expand: ['product'] });
    expect(expanded.product).toMatchObject({ id: product.id, object: 'product', name: 'Expandable' });
    const list = await stripe.prices.list({ product: product.id, expand: ['data.product'] });
    expect((list.data[0]?.product as Stripe.Product | undefined)?.name).toBe('Expandable');
  });

  it('answers unknown URLs with a 404 invalid_request_error and sets request ids', async () => {
    const response = await rawRequest(harness, 'GET', '/v1/nothing_here');
    expect(response.status).toBe(404);
    expect(response.json.error.type).toBe('invalid_request_error');
    expect(response.headers.get('request-id')).toMatch(/^req_/);
  });
});
