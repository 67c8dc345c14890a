import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { skipUnless } from '../../../test-support/skips.js';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/bin.js');

describe(
  'tollgate-stripe-sandbox command',
  skipUnless(existsSync(bin), `needs the built sandbox at ${bin} (npm run build)`),
  () => {
    it('listens on the given port, keeps state in the data directory and stops on SIGTERM', async () => {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'stripe-sandbox-bin-'));
      const child = spawn(process.execPath, [bin, '--port', '0', '--data-dir', dataDir], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      try {
        const url = await new Promise<string>((resolve, reject) => {
          let output = '';
          child.stdout.on('data', (chunk: Buffer) => {
            output += chunk.toString();
            const match = /listening on (http:\/\/\S+)/.exec(output);
            if (match?.[1]) resolve(match[1]);
          });
          child.once('exit', (code) => reject(new Error(`exited early with ${code}: ${output}`)));
        });
        const port = Number(new URL(url).port);
        const stripe = new Stripe('sk_test_cli', { host: '127.0.0.1', port, protocol: 'http' });
        const customer = await stripe.customers.create({ email: 'cli@example.com' });
        expect(customer.id).toMatch(/^cus_/);
        const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        expect(await exit).toBe(0);
        expect(existsSync(path.join(dataDir, 'stripe-sandbox.json'))).toBe(true);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  },
);
