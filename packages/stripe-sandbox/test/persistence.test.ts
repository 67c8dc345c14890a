import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Stripe from 'stripe';
import { afterAll, describe, expect, it } from 'vitest';
import { startStripeSandbox } from '../src/index.js';

describe('persistence in a data directory', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'stripe-sandbox-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps ids resolvable after a restart', async () => {
    const first = await startStripeSandbox({ port: 0, dataDir });
    const client = new Stripe('sk_test_persist', { host: '127.0.0.1', port: first.port, protocol: 'http' });
    const customer = await client.customers.create({
      email: 'kept@example.com',
      metadata: { organization_id: 'org_keep' },
    });
    const price = await client.prices.create({
      product_data: { name: 'Kept' },
      currency: 'usd',
      unit_amount: 100,
      lookup_key: 'kept',
    });
    const endpoint = await client.webhookEndpoints.create({
      url: 'http://127.0.0.1:9/hook',
      enabled_events: ['invoice.paid'],
    });
    const keyed = await client.products.create({ name: 'Once' }, { idempotencyKey: 'restart-key' });
    await first.close();
    const text = readFileSync(path.join(dataDir, 'stripe-sandbox.json'), 'utf8');
    expect(JSON.parse(text).version).toBe(1);

    const second = await startStripeSandbox({ port: 0, dataDir });
    try {
      const again = new Stripe('sk_test_other', { host: '127.0.0.1', port: second.port, protocol: 'http' });
      expect(await again.customers.retrieve(customer.id)).toEqual(customer);
      expect((await again.prices.list({ lookup_keys: ['kept'] })).data.map((row) => row.id)).toEqual([
        price.id,
      ]);
      expect((await again.webhookEndpoints.retrieve(endpoint.id)).url).toBe('http://127.0.0.1:9/hook');
      const sameKey = new Stripe('sk_test_persist', {
        host: '127.0.0.1',
        port: second.port,
        protocol: 'http',
      });
      const replayed = await sameKey.products.create({ name: 'Once' }, { idempotencyKey: 'restart-key' });
      expect(replayed.id).toBe(keyed.id);
    } finally {
      await second.close();
    }
  });
});
