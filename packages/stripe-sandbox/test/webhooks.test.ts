import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness, startReceiver } from './support/harness.js';

describe('webhooks', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ webhookRetryDelaysMs: [20, 40, 80] });
  });
  afterAll(() => harness.close());

  it('signs deliveries so constructEvent verifies them, and a tampered payload is rejected', async () => {
    const { stripe } = harness;
    const receiver = await startReceiver();
    try {
      const endpoint = await stripe.webhookEndpoints.create({
        url: receiver.url,
        enabled_events: ['customer.created', 'customer.updated'],
      });
      expect(endpoint.secret).toMatch(/^whsec_/);
      const retrieved = await stripe.webhookEndpoints.retrieve(endpoint.id);
      expect(retrieved.secret).toBeUndefined();

      const customer = await stripe.customers.create({ email: 'hook@example.com' });
      await stripe.products.create({ name: 'not subscribed to' });
      await receiver.waitFor((items) => items.length >= 1);
      const delivery = receiver.received[0];
      if (!delivery) throw new Error('no delivery');
      const event = stripe.webhooks.constructEvent(
        delivery.body,
        delivery.signature,
        endpoint.secret as string,
      );
      expect(event.type).toBe('customer.created');
      expect((event.data.object as Stripe.Customer).id).toBe(customer.id);

      const tampered = delivery.body.replace('hook@example.com', 'evil@example.com');
      expect(() =>
        stripe.webhooks.constructEvent(tampered, delivery.signature, endpoint.secret as string),
      ).toThrow(Stripe.errors.StripeSignatureVerificationError);
      expect(() =>
        stripe.webhooks.constructEvent(delivery.body, delivery.signature, 'whsec_wrong'),
      ).toThrow();

      const listed = await stripe.events.list({ type: 'customer.created' });
      expect(listed.data[0]?.id).toBe(event.id);
      expect((await stripe.events.retrieve(event.id)).type).toBe('customer.created');
      expect(receiver.received.every((item) => !item.body.includes('"product.created"'))).toBe(true);
    } finally {
      await receiver.close();
    }
  });

  it('retries a delivery answered with a non-2xx status until it succeeds', async () => {
    const { stripe } = harness;
    const receiver = await startReceiver((attempt) => (attempt < 3 ? 500 : 200));
    try {
      const endpoint = await stripe.webhookEndpoints.create({
        url: receiver.url,
        enabled_events: ['product.created'],
      });
      const product = await stripe.products.create({ name: 'Retry me' });
      await receiver.waitFor((items) => items.length >= 3);
      const bodies = receiver.received.map((item) => JSON.parse(item.body) as Stripe.Event);
      expect(new Set(bodies.map((body) => body.id)).size).toBe(1);
      expect((bodies[0]?.data.object as Stripe.Product | undefined)?.id).toBe(product.id);
      for (const item of receiver.received) {
        expect(stripe.webhooks.constructEvent(item.body, item.signature, endpoint.secret as string).id).toBe(
          bodies[0]?.id,
        );
      }
      await stripe.webhookEndpoints.del(endpoint.id);
    } finally {
      await receiver.close();
    }
  });

  it('stops sending to a disabled endpoint and lists endpoints', async () => {
    const { stripe } = harness;
    const receiver = await startReceiver();
    try {
      const quiet = await stripe.webhookEndpoints.create({
        url: receiver.url,
        enabled_events: ['customer.created'],
      });
      const disabled = await stripe.webhookEndpoints.update(quiet.id, {
        disabled: true,
        description: 'paused',
      });
      expect(disabled).toMatchObject({ status: 'disabled', description: 'paused' });
      const listed = await stripe.webhookEndpoints.list();
      expect(listed.data.map((endpoint) => endpoint.id)).toContain(quiet.id);
      expect(listed.data.every((endpoint) => endpoint.secret === undefined)).toBe(true);
      const loud = await stripe.webhookEndpoints.create({
        url: receiver.url,
        enabled_events: ['customer.updated'],
      });
      const customer = await stripe.customers.create({ email: 'quiet@example.com' });
      await stripe.customers.update(customer.id, { name: 'Loud' });
      await receiver.waitFor((items) => items.length >= 1);
      const only = receiver.received.map((item) =>
        stripe.webhooks.constructEvent(item.body, item.signature, loud.secret as string),
      );
      expect(only.map((event) => event.type)).toEqual(['customer.updated']);
      const pending = await stripe.events.retrieve(only[0]?.id as string);
      expect(pending.pending_webhooks).toBeLessThanOrEqual(1);
    } finally {
      await receiver.close();
    }
  });

  it('sends every event type to an endpoint that listens to *', async () => {
    const { stripe } = harness;
    const receiver = await startReceiver();
    try {
      await stripe.webhookEndpoints.create({ url: receiver.url, enabled_events: ['*'] });
      await stripe.products.create({ name: 'Everything' });
      await receiver.waitFor((items) => items.some((item) => item.body.includes('"product.created"')));
    } finally {
      await receiver.close();
    }
  });
});
