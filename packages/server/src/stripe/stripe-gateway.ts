import { type StripeSandbox, startStripeSandbox } from '@tollgate/stripe-sandbox';
import Stripe from 'stripe';
import { StripePriceCache } from '../billing/stripe-price-cache.js';

/** How Tollgate reaches Stripe: the official SDK, pointed at real Stripe or a Stripe-compatible sandbox. */
export type StripeGateway = {
  stripe: Stripe;
  /** `sandbox`: the built-in or a standalone sandbox; `test`/`live`: real Stripe by key. */
  mode: 'sandbox' | 'test' | 'live';
  /** Verifies `POST /v1/webhooks/stripe`; set at start for the built-in sandbox. */
  webhookSecret: string | null;
  /** Each customer Tollgate creates gets its own test clock, so time can be advanced per organization. */
  testClocks: boolean;
  /** Prices read by id (invoice lines name a price, not a plan). */
  prices: StripePriceCache;
};

/** A gateway around an SDK client; `mode` and the secret are what the deployment configured. */
export function stripeGateway(
  stripe: Stripe,
  options: Pick<StripeGateway, 'mode' | 'webhookSecret' | 'testClocks'>,
): StripeGateway {
  return { stripe, ...options, prices: new StripePriceCache(stripe) };
}

export type PaymentsBackend = {
  gateway: StripeGateway;
  /** Where the built-in sandbox listens, for the start-up banner; null otherwise. */
  sandboxUrl: string | null;
  close(): Promise<void>;
};

export type PaymentsBackendOptions = {
  stripeSecretKey: string | undefined;
  stripeWebhookSecret: string | undefined;
  /** Another Stripe-compatible server instead of api.stripe.com or the built-in sandbox. */
  stripeApiUrl: string | undefined;
  stripeTestClocks: boolean;
  sandboxPort: number;
  sandboxDataDir: string | null;
};

/** The sandbox accepts any sk_test_ key, as Stripe test mode would accept yours. */
export const SANDBOX_SECRET_KEY = 'sk_test_tollgate_sandbox';

/** The SDK pointed at a URL (a sandbox); its retries stay on so a brief outage delays, never fails. */
export function stripeClientFor(secretKey: string, apiUrl?: string): Stripe {
  if (!apiUrl) return new Stripe(secretKey, { maxNetworkRetries: 2, timeout: 20_000 });
  const url = new URL(apiUrl);
  const protocol = url.protocol === 'https:' ? 'https' : 'http';
  return new Stripe(secretKey, {
    host: url.hostname,
    port: url.port ? Number(url.port) : protocol === 'https' ? 443 : 80,
    protocol,
    maxNetworkRetries: 2,
    timeout: 20_000,
  });
}

/**
 * Real Stripe when a secret key is configured (STRIPE_API_URL may point it elsewhere); a standalone
 * sandbox when only STRIPE_API_URL is set; otherwise the offline sandbox, started in-process.
 */
export async function openPaymentsBackend(options: PaymentsBackendOptions): Promise<PaymentsBackend> {
  if (options.stripeSecretKey) {
    const live =
      options.stripeSecretKey.startsWith('sk_live_') || options.stripeSecretKey.startsWith('rk_live_');
    return {
      gateway: stripeGateway(stripeClientFor(options.stripeSecretKey, options.stripeApiUrl), {
        mode: live ? 'live' : 'test',
        webhookSecret: options.stripeWebhookSecret ?? null,
        testClocks: !live && options.stripeTestClocks,
      }),
      sandboxUrl: null,
      close: async () => {},
    };
  }
  if (options.stripeApiUrl) {
    return {
      gateway: stripeGateway(stripeClientFor(SANDBOX_SECRET_KEY, options.stripeApiUrl), {
        mode: 'sandbox',
        webhookSecret: options.stripeWebhookSecret ?? null,
        testClocks: true,
      }),
      sandboxUrl: options.stripeApiUrl,
      close: async () => {},
    };
  }
  const sandbox: StripeSandbox = await startStripeSandbox({
    port: options.sandboxPort,
    dataDir: options.sandboxDataDir,
  });
  return {
    gateway: stripeGateway(stripeClientFor(SANDBOX_SECRET_KEY, sandbox.url), {
      mode: 'sandbox',
      webhookSecret: options.stripeWebhookSecret ?? null,
      testClocks: true,
    }),
    sandboxUrl: sandbox.url,
    close: () => sandbox.close(),
  };
}

/**
 * With a sandbox and no configured signing secret, Tollgate registers its own webhook endpoint and
 * keeps the secret Stripe returns (only shown at creation): an earlier registration of the same URL
 * is replaced, so restarts do not pile up endpoints that each receive every event.
 */
export async function registerSandboxWebhookEndpoint(gateway: StripeGateway, url: string): Promise<void> {
  if (gateway.mode !== 'sandbox' || gateway.webhookSecret) return;
  for await (const endpoint of gateway.stripe.webhookEndpoints.list({ limit: 100 })) {
    if (endpoint.url === url) await gateway.stripe.webhookEndpoints.del(endpoint.id);
  }
  const created = await gateway.stripe.webhookEndpoints.create({
    url,
    enabled_events: ['*'],
    description: 'Tollgate (registered at start)',
  });
  if (!created.secret) throw new Error('the sandbox returned no webhook signing secret');
  gateway.webhookSecret = created.secret;
}
