import type { AddressInfo } from 'node:net';
import { runDueWork } from './billing/scheduler.js';
import { createSandboxServer } from './http/server.js';
import { buildRouter } from './routes.js';
import { type BillingSettings, Sandbox } from './sandbox.js';
import { Store } from './state/store.js';
import { defaultRetryDelaysMs } from './webhooks/delivery.js';

export interface StripeSandboxOptions {
  /** 0 picks a free port. */
  port?: number;
  /** Defaults to 127.0.0.1. */
  host?: string;
  /** null keeps state in memory only; a directory keeps it in `<dataDir>/stripe-sandbox.json`. */
  dataDir?: string | null;
  /** Delays between webhook retries after a non-2xx answer; shorten them in tests. */
  webhookRetryDelaysMs?: number[];
  /** Failed-payment retry schedule and final outcome (Stripe's dashboard settings). */
  billing?: Partial<BillingSettings>;
}

export interface StripeSandbox {
  url: string;
  port: number;
  host: string;
  close(): Promise<void>;
}

export async function startStripeSandbox(options: StripeSandboxOptions = {}): Promise<StripeSandbox> {
  const host = options.host ?? '127.0.0.1';
  const store = Store.forDataDir(options.dataDir ?? null);
  const sandbox = new Sandbox(store, {
    baseUrl: '',
    webhookRetryDelaysMs: options.webhookRetryDelaysMs ?? defaultRetryDelaysMs,
    billing: { retryDelaysDays: [2, 2, 3], afterFinalFailure: 'cancel', ...options.billing },
  });
  const server = createSandboxServer(sandbox, buildRouter());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 12111, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  sandbox.settings.baseUrl = url;
  // Subscriptions not on a test clock renew, retry and expire in real time.
  const ticker = setInterval(() => {
    try {
      runDueWork(sandbox, null, sandbox.now());
      store.flush();
    } catch (error) {
      console.error('stripe-sandbox: scheduled work failed', error);
    }
  }, 1000);
  ticker.unref();
  return {
    url,
    port,
    host,
    close: async () => {
      clearInterval(ticker);
      sandbox.webhooks.close();
      store.flush();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
