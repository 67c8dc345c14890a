import { type StripeSandbox, startStripeSandbox } from '@tollgate/stripe-sandbox';
import { afterAll, beforeAll } from 'vitest';
import { SANDBOX_SECRET_KEY, type StripeGateway, stripeClientFor } from '../../src/stripe/stripe-gateway.js';

/**
 * A gateway whose sandbox is started fresh for each describe block that calls `useFreshSandbox`:
 * the harness is built with the gateway object before the sandbox exists, and every call goes
 * through the official SDK to the sandbox of the block running.
 */
export function sandboxGateway() {
  const gateway = { mode: 'sandbox', webhookSecret: null, testClocks: true } as unknown as StripeGateway;
  let sandbox: StripeSandbox | undefined;
  return {
    gateway,
    sandbox: () => {
      if (!sandbox) throw new Error('the sandbox has not started');
      return sandbox;
    },
    useFreshSandbox() {
      beforeAll(async () => {
        sandbox = await startStripeSandbox({ port: 0, dataDir: null });
        gateway.stripe = stripeClientFor(SANDBOX_SECRET_KEY, sandbox.url);
      });
      afterAll(async () => {
        await sandbox?.close();
      });
    },
  };
}
