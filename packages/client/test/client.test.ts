import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TollgateClient, TollgateError } from '../src/index.js';

// biome-ignore lint/suspicious/noExplicitAny: request bodies are free-form JSON in these tests
type Body = any;

/** A stand-in for the remote Tollgate server: it records requests and answers as each test says. */
async function remote(handler: (body: Body, request: IncomingMessage, response: ServerResponse) => void) {
  const bodies: Body[] = [];
  const server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk) => {
      text += chunk;
    });
    request.on('end', () => {
      const body = text ? JSON.parse(text) : undefined;
      bodies.push(body);
      handler(body, request, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies };
}
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((server) => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    }),
  );
});

function json(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

const allowed = { allowed: true, feature: 'api_calls', limit: 10, used: 1, remaining: 9, cap: 'hard' };

describe('TollgateClient', () => {
  it('retries server faults with the same idempotency key, then succeeds', async () => {
    let calls = 0;
    const server = await remote((_body, _request, response) => {
      calls += 1;
      if (calls < 3) json(response, 503, { error: { code: 'unavailable', message: 'busy' } });
      else json(response, 200, allowed);
    });
    const client = new TollgateClient({ baseUrl: server.url, apiKey: 'k', failMode: 'closed', backoffMs: 1 });
    const result = await client.check({ organization_id: 'o', feature: 'api_calls', consume: true });
    expect(result.allowed).toBe(true);
    expect(calls).toBe(3);
    const keys = new Set(server.bodies.map((body) => body.idempotency_key));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toEqual(expect.any(String));
  });

  it('does not retry client errors and reports their code', async () => {
    const server = await remote((_body, _request, response) =>
      json(response, 404, { error: { code: 'organization_not_found', message: 'no such organization' } }),
    );
    const client = new TollgateClient({ baseUrl: server.url, apiKey: 'k', failMode: 'open', backoffMs: 1 });
    const failure = await client.check({ organization_id: 'o', feature: 'x' }).catch((error) => error);
    expect(failure).toBeInstanceOf(TollgateError);
    expect(failure.code).toBe('organization_not_found');
    expect(server.bodies).toHaveLength(1);
  });

  it('fails open or closed, as configured, when Tollgate does not answer in time', async () => {
    const server = await remote(() => {
      /* never answers */
    });
    const options = { baseUrl: server.url, apiKey: 'k', timeoutMs: 50, retries: 1, backoffMs: 1 };
    const open = await new TollgateClient({ ...options, failMode: 'open' }).check({
      organization_id: 'o',
      feature: 'f',
    });
    expect(open).toMatchObject({ allowed: true, degraded: true });
    const closed = await new TollgateClient({ ...options, failMode: 'closed' }).check({
      organization_id: 'o',
      feature: 'f',
    });
    expect(closed).toMatchObject({ allowed: false, reason: 'tollgate_unavailable', degraded: true });
  });

  it('batches tracked events by size and flushes the rest on shutdown', async () => {
    const server = await remote((body, _request, response) =>
      json(response, 200, { accepted: body.events.length, duplicates: 0, rejected: [] }),
    );
    const client = new TollgateClient({
      baseUrl: server.url,
      apiKey: 'k',
      failMode: 'open',
      batch: { maxBatchSize: 10, flushIntervalMs: 60_000 },
    });
    for (let index = 0; index < 25; index += 1) client.track({ organization_id: 'o', event: 'api_calls' });
    await client.shutdown();
    expect(server.bodies.map((body) => body.events.length)).toEqual([10, 10, 5]);
    const ids = new Set(
      server.bodies.flatMap((body) => body.events.map((event: { id: string }) => event.id)),
    );
    expect(ids.size).toBe(25);
    expect(client.pendingEvents).toBe(0);
  });

  it('keeps a failed batch and resends it with the same ids', async () => {
    let fail = true;
    const server = await remote((body, _request, response) => {
      if (fail) json(response, 400, { error: { code: 'bad', message: 'no' } });
      else json(response, 200, { accepted: body.events.length, duplicates: 0, rejected: [] });
    });
    const errors: unknown[] = [];
    const client = new TollgateClient({
      baseUrl: server.url,
      apiKey: 'k',
      failMode: 'open',
      batch: { flushIntervalMs: 60_000 },
      onError: (error) => errors.push(error),
    });
    const id = client.track({ organization_id: 'o', event: 'api_calls' });
    await client.flush();
    expect(errors).toHaveLength(1);
    expect(client.pendingEvents).toBe(1);
    fail = false;
    await client.shutdown();
    expect(server.bodies.map((body) => body.events[0].id)).toEqual([id, id]);
  });
});
