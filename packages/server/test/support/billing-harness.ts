import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type StripeSandbox, startStripeSandbox } from '@tollgate/stripe-sandbox';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe } from 'vitest';
import { syncAndStoreStripeCatalog } from '../../src/stripe/catalog/sync-stripe-catalog.js';
import {
  registerSandboxWebhookEndpoint,
  SANDBOX_SECRET_KEY,
  type StripeGateway,
  stripeClientFor,
  stripeGateway,
} from '../../src/stripe/stripe-gateway.js';
import { type DatabaseTarget, databaseTargets } from './databases.js';
import { type Harness, type HarnessOptions, startHarness } from './harness.js';

export type BillingHarness = Harness & {
  sandbox: StripeSandbox;
  stripe: Stripe;
  gateway: StripeGateway;
  /** Polls until `probe` returns a value (not undefined/false); fails after `timeoutMs`. */
  eventually<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs?: number): Promise<T>;
  /** Pays an open Checkout Session as the sandbox's hosted page would, with a test card token. */
  payCheckout(sessionId: string, paymentMethod?: string): Promise<void>;
  /** Moves the organization's Stripe test clock forward and waits for the sandbox to finish. */
  advanceClock(organizationId: string, days: number): Promise<void>;
};

/** A Tollgate listening on a port, with its own in-memory sandbox delivering webhooks to it. */
export async function startBillingHarness(target: DatabaseTarget, options: HarnessOptions = {}) {
  const sandbox = await startStripeSandbox({
    port: 0,
    dataDir: null,
    webhookRetryDelaysMs: [100, 300, 1000, 2000],
  });
  const stripe = stripeClientFor(SANDBOX_SECRET_KEY, sandbox.url);
  const gateway = stripeGateway(stripe, { mode: 'sandbox', webhookSecret: null, testClocks: true });
  const started = await startHarness(target, {
    startAt: new Date().toISOString(),
    ...options,
    tollgate: { ...options.tollgate, stripe: gateway },
  });
  const { harness } = started;
  // Billing follows the wall clock, as Stripe's does; test clocks move Stripe's side.
  harness.clock.set(new Date());
  const wallClock = setInterval(() => harness.clock.set(new Date()), 20);
  await harness.tollgate.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (harness.tollgate.app.server.address() as AddressInfo).port;
  harness.tollgate.context.publicUrl = `http://127.0.0.1:${port}`;
  await registerSandboxWebhookEndpoint(gateway, `http://127.0.0.1:${port}/v1/webhooks/stripe`);
  const context = harness.tollgate.context;
  // The catalog in the sandbox, as `stripe sync` (and a server start in sandbox mode) makes it.
  await syncAndStoreStripeCatalog(context.db, gateway, context.catalog, context.now);
  await context.stripeCatalogIds.reload();
  const billing: BillingHarness = Object.assign(harness, {
    sandbox,
    stripe,
    gateway,
    async eventually<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await probe();
        if (value !== undefined && value !== false) return value as T;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async payCheckout(sessionId: string, paymentMethod = 'pm_card_visa') {
      await stripe.rawRequest('POST', `/v1/test_helpers/checkout/sessions/${sessionId}/complete`, {
        payment_method: paymentMethod,
        address: {
          country: 'US',
          postal_code: '94107',
          line1: '1 Market St',
          city: 'San Francisco',
          state: 'CA',
        },
      });
    },
    async advanceClock(organizationId: string, days: number) {
      const response = await billing.request('POST', `/v1/sandbox/organizations/${organizationId}/advance`, {
        body: { days },
      });
      if (response.status !== 200 || response.body.status !== 'ready') {
        throw new Error(`advancing the test clock failed: ${JSON.stringify(response.body)}`);
      }
    },
  });
  return {
    harness: billing,
    async stop() {
      clearInterval(wallClock);
      await started.stop();
      await sandbox.close();
    },
  };
}

/** Runs the block once per database with a billing harness; read `harness()` inside tests and hooks. */
export function describeBillingEachDatabase(
  title: string,
  body: (harness: () => BillingHarness) => void,
  options: HarnessOptions = {},
) {
  for (const target of databaseTargets) {
    describe(`${title} [${target.name}]`, () => {
      let started: Awaited<ReturnType<typeof startBillingHarness>> | undefined;
      beforeAll(async () => {
        started = await startBillingHarness(target, options);
      }, 120_000);
      afterAll(async () => {
        await started?.stop();
      });
      body(() => {
        if (!started) throw new Error('the billing harness has not started');
        return started.harness;
      });
    });
  }
}

/**
 * A Stripe that is down: every call answers `status` with Stripe's error envelope. `gateway` points
 * at it (with `webhookSecret` kept); `close` stops it.
 */
export async function startStripeOutage(options: { status?: number; webhookSecret?: string | null } = {}) {
  const server = createServer((_request, response) => {
    response.writeHead(options.status ?? 503, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: { type: 'api_error', message: 'down' } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    gateway: stripeGateway(stripeClientFor(SANDBOX_SECRET_KEY, url), {
      mode: 'sandbox',
      webhookSecret: options.webhookSecret ?? null,
      testClocks: true,
    }),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
