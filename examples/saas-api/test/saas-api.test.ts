import type { AddressInfo } from 'node:net';
import { TollgateClient } from '@tollgate/client';
import { Catalog, demoCatalog } from '@tollgate/core';
import { createTollgate, type Tollgate } from '@tollgate/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSaasApi } from '../src/app.js';

const ADMIN_KEY = 'tg_sk_example_integration_admin_key_000';

describe('examples/saas-api against a real Tollgate server', () => {
  let tollgate: Tollgate;
  let client: TollgateClient;
  let app: ReturnType<typeof buildSaasApi>;
  let appUrl: string;

  beforeAll(async () => {
    tollgate = await createTollgate({
      catalog: Catalog.from(demoCatalog),
      adminKey: ADMIN_KEY,
      pgliteDir: null,
    });
    await tollgate.app.listen({ port: 0, host: '127.0.0.1' });
    const tollgateUrl = `http://127.0.0.1:${(tollgate.app.server.address() as AddressInfo).port}`;
    client = new TollgateClient({
      baseUrl: tollgateUrl,
      apiKey: ADMIN_KEY,
      failMode: 'closed',
      batch: { maxBatchSize: 100, flushIntervalMs: 60_000 },
    });
    app = buildSaasApi(client);
    await app.listen({ port: 0, host: '127.0.0.1' });
    appUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    for (const id of ['acme_agents', 'acme_chat', 'acme_api']) {
      const created = await fetch(`${tollgateUrl}/v1/organizations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id, name: id }),
      });
      expect(created.status).toBe(201);
    }
  });

  afterAll(async () => {
    await app?.close();
    await tollgate?.close();
  });

  const call = (method: string, path: string, organizationId: string, body?: unknown) =>
    fetch(`${appUrl}${path}`, {
      method,
      headers: {
        'x-organization-id': organizationId,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });

  it('runs agents until the free allowance plus grace (110) is spent, then answers 429 with the upgrade prompt', async () => {
    for (let run = 1; run <= 110; run += 1) {
      const response = await call('POST', '/agents/run', 'acme_agents');
      expect(response.status, `run ${run}`).toBe(200);
    }
    const denied = await call('POST', '/agents/run', 'acme_agents');
    expect(denied.status).toBe(429);
    expect(await denied.json()).toEqual({
      error: { code: 'limit_exceeded', message: 'The agent_executions limit of your plan is reached.' },
      feature: 'agent_executions',
      limit: 100,
      used: 110,
      remaining: 0,
      upgrade_url: 'http://localhost:4400/billing/upgrade?plan=standard',
    });
  });

  it('records the tokens the model used and stops chatting once the token allowance is spent', async () => {
    const prompt = 'Tell me about metering. '.repeat(400);
    let answered = 0;
    for (;;) {
      const response = await call('POST', '/chat', 'acme_chat', { prompt });
      if (response.status === 429) {
        const body = await response.json();
        expect(body).toMatchObject({
          feature: 'llm_tokens',
          limit: 10_000,
          upgrade_url: expect.stringContaining('upgrade'),
        });
        expect(body.used).toBeGreaterThan(11_000 - 1);
        break;
      }
      expect(response.status).toBe(200);
      answered += 1;
      await client.flush();
      expect(answered).toBeLessThan(20);
    }
    // ≈ 2,450 + 55 tokens per chat: the fifth chat passes 11,000 (10,000 + 10 % grace).
    expect(answered).toBe(5);
  });

  it('counts every /api request as an API call and enforces the API call limit', async () => {
    for (let request = 0; request < 1_100; request += 1) {
      const response = await call('GET', '/api/status', 'acme_api');
      expect(response.status).toBe(200);
      if (request % 100 === 99) await client.flush();
    }
    await client.flush();
    const usage = await client.usage('acme_api');
    expect(usage.features.find((line) => line.feature === 'api_calls')?.used).toBe(1_100);
    const denied = await call('GET', '/api/projects', 'acme_api');
    expect(denied.status).toBe(429);
    expect((await denied.json()).feature).toBe('api_calls');
  });
});
