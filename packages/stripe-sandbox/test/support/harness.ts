import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { type StripeSandbox, type StripeSandboxOptions, startStripeSandbox } from '../../src/index.js';

export interface Harness {
  sandbox: StripeSandbox;
  stripe: Stripe;
  close(): Promise<void>;
}

/** Starts an in-memory sandbox on a free port and an SDK client pointed at it. */
export async function startHarness(options: StripeSandboxOptions = {}): Promise<Harness> {
  const sandbox = await startStripeSandbox({ port: 0, dataDir: null, ...options });
  const stripe = new Stripe('sk_test_harness', {
    host: '127.0.0.1',
    port: sandbox.port,
    protocol: 'http',
    maxNetworkRetries: 0,
  });
  return { sandbox, stripe, close: () => sandbox.close() };
}

export interface ReceivedWebhook {
  body: string;
  signature: string;
}

/** A local HTTP receiver for webhooks; `answer` decides each response's status. */
export async function startReceiver(answer: (attempt: number) => number = () => 200) {
  const received: ReceivedWebhook[] = [];
  const waiters: Array<() => void> = [];
  let attempts = 0;
  const server: Server = createServer(async (request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    attempts += 1;
    received.push({
      body: Buffer.concat(chunks).toString('utf8'),
      signature: String(request.headers['stripe-signature']),
    });
    response.writeHead(answer(attempts));
    response.end();
    for (const waiter of waiters.splice(0)) waiter();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    received,
    /** Resolves once `predicate` holds over what has arrived (tests time out otherwise). */
    async waitFor(predicate: (items: ReceivedWebhook[]) => boolean): Promise<void> {
      while (!predicate(received)) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// Raw responses are inspected field by field in tests.
type RawJson = any;

export async function rawRequest(
  harness: Harness,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: RawJson; headers: Headers }> {
  const response = await fetch(`${harness.sandbox.url}${path}`, {
    method,
    headers: {
      authorization: 'Bearer sk_test_raw',
      'content-type': 'application/x-www-form-urlencoded',
      ...headers,
    },
    body,
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : null, headers: response.headers };
}
