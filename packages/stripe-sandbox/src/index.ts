import type { AddressInfo } from 'node:net';
import { createSandboxServer } from './http/server.js';
import { buildRouter } from './routes.js';
import { Sandbox } from './sandbox.js';
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
  });
  const server = createSandboxServer(sandbox, buildRouter());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 12111, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  sandbox.settings.baseUrl = url;
  return {
    url,
    port,
    host,
    close: async () => {
      sandbox.webhooks.close();
      store.flush();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
