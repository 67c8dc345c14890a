import { type StripeSandbox, startStripeSandbox } from '@tollgate/stripe-sandbox';
import Stripe from 'stripe';

export type PaymentsBackend = {
  /** The official SDK, pointed at real Stripe or at the built-in sandbox. */
  stripe: Stripe;
  kind: 'stripe' | 'sandbox';
  /** Where the sandbox listens, for the start-up banner; null against real Stripe. */
  sandboxUrl: string | null;
  close(): Promise<void>;
};

export type PaymentsBackendOptions = {
  stripeSecretKey: string | undefined;
  sandboxPort: number;
  sandboxDataDir: string | null;
};

/** Real Stripe when a secret key is configured; otherwise the offline sandbox, started in-process. */
export async function openPaymentsBackend(options: PaymentsBackendOptions): Promise<PaymentsBackend> {
  if (options.stripeSecretKey) {
    return {
      stripe: new Stripe(options.stripeSecretKey, { maxNetworkRetries: 2 }),
      kind: 'stripe',
      sandboxUrl: null,
      close: async () => {},
    };
  }
  const sandbox: StripeSandbox = await startStripeSandbox({
    port: options.sandboxPort,
    dataDir: options.sandboxDataDir,
  });
  return {
    // The sandbox accepts any sk_test_ key, as Stripe test mode would accept yours.
    stripe: new Stripe('sk_test_tollgate_sandbox', {
      host: sandbox.host,
      port: sandbox.port,
      protocol: 'http',
    }),
    kind: 'sandbox',
    sandboxUrl: sandbox.url,
    close: () => sandbox.close(),
  };
}
