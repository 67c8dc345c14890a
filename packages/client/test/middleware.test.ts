import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TollgateClient, tollgateExpress, tollgateHono } from '../src/index.js';

/**
 * A stand-in for the remote Tollgate: `api_calls` is allowed, `llm_tokens` is over its limit.
 * Express and Hono are represented by the few members of their request/response objects the
 * middleware touches, so neither framework has to be installed for the SDK's tests.
 */
let server: Server;
let baseUrl: string;
const tracked: unknown[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk) => {
      text += chunk;
    });
    request.on('end', () => {
      const body = JSON.parse(text);
      response.setHeader('content-type', 'application/json');
      if (request.url === '/v1/events') {
        tracked.push(...body.events);
        response.end(JSON.stringify({ accepted: body.events.length, duplicates: 0, rejected: [] }));
        return;
      }
      const denied = body.feature === 'llm_tokens';
      response.end(
        JSON.stringify({
          allowed: !denied,
          feature: body.feature,
          limit: 100,
          used: denied ? 110 : 5,
          remaining: denied ? 0 : 95,
          cap: 'soft',
          ...(denied && { reason: 'limit_exceeded', upgrade_url: 'https://example.test/upgrade' }),
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

type FakeRequest = { organization: string };

function expressResponse() {
  const listeners: (() => void)[] = [];
  const response = {
    statusCode: 200,
    body: undefined as unknown,
    status(code: number) {
      response.statusCode = code;
      return response;
    },
    json(body: unknown) {
      response.body = body;
      for (const listener of listeners) listener();
    },
    on(_event: 'finish', listener: () => void) {
      listeners.push(listener);
    },
  };
  return response;
}

describe('Express middleware', () => {
  const client = () => new TollgateClient({ baseUrl, apiKey: 'k', failMode: 'closed' });
  const options = (tollgate: TollgateClient) => ({
    client: tollgate,
    organization: (request: FakeRequest) => request.organization,
  });

  it('passes allowed requests on and answers 429 with the limit and upgrade URL when denied', async () => {
    const metering = tollgateExpress(options(client()));
    const allowed = await new Promise<string>((resolve) => {
      metering.enforce('api_calls')({ organization: 'acme' }, expressResponse(), () => resolve('next'));
    });
    expect(allowed).toBe('next');
    const response = expressResponse();
    await new Promise<void>((resolve) => {
      response.on('finish', resolve);
      metering.enforce('llm_tokens')({ organization: 'acme' }, response, () => resolve());
    });
    expect(response.statusCode).toBe(429);
    expect(response.body).toEqual({
      error: { code: 'limit_exceeded', message: 'The llm_tokens limit of your plan is reached.' },
      feature: 'llm_tokens',
      limit: 100,
      used: 110,
      remaining: 0,
      upgrade_url: 'https://example.test/upgrade',
    });
  });

  it('tracks one API call per finished request', async () => {
    const tollgate = client();
    const metering = tollgateExpress(options(tollgate));
    const response = expressResponse();
    metering.trackRequests()({ organization: 'acme_tracked' }, response, () => {});
    response.json({ ok: true });
    await new Promise((resolve) => setTimeout(resolve, 0));
    await tollgate.shutdown();
    expect(tracked).toContainEqual(
      expect.objectContaining({
        organization_id: 'acme_tracked',
        event: 'api_calls',
        id: expect.any(String),
      }),
    );
  });
});

describe('Hono middleware', () => {
  it('answers 429 through the context when denied and calls next when allowed', async () => {
    const metering = tollgateHono({
      client: new TollgateClient({ baseUrl, apiKey: 'k', failMode: 'closed' }),
      organization: () => 'acme',
    });
    const context = {
      res: new Response(null, { status: 200 }),
      json: (body: unknown, status?: number) => new Response(JSON.stringify(body), { status: status ?? 200 }),
    };
    let nextCalled = false;
    const denied = (await metering.enforce('llm_tokens')(context, async () => {
      nextCalled = true;
    })) as Response;
    expect(nextCalled).toBe(false);
    expect(denied.status).toBe(429);
    expect(((await denied.json()) as { upgrade_url: string }).upgrade_url).toBe(
      'https://example.test/upgrade',
    );
    await metering.enforce('api_calls')(context, async () => {
      nextCalled = true;
    });
    expect(nextCalled).toBe(true);
  });
});
