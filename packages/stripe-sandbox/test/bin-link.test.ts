import { spawn } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { skipUnless } from '../../../test-support/skips.js';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = path.resolve(packageDir, '../..');
const linked = path.join(repoRoot, 'node_modules/.bin/tollgate-stripe-sandbox');
const built = path.join(packageDir, 'dist/bin.js');

describe('the tollgate-stripe-sandbox command from the repository root', () => {
  it('points at a committed file, so npm links it at install time, before any build', () => {
    const manifest = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
    const target = manifest.bin['tollgate-stripe-sandbox'] as string;
    expect(target.startsWith('./dist/')).toBe(false);
    const file = path.join(packageDir, target);
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o111).not.toBe(0);
    expect(readFileSync(file, 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
    expect(manifest.files).toContain(path.dirname(target).replace(/^\.\//, ''));
    expect(manifest.dependencies).not.toHaveProperty('@tollgate/core');
  });

  it(
    '`npx tollgate-stripe-sandbox --port 0` starts a sandbox',
    skipUnless(existsSync(built), `needs the built sandbox at ${built} (npm run build)`),
    async () => {
      expect(realpathSync(linked)).toBe(
        realpathSync(path.join(packageDir, 'bin/tollgate-stripe-sandbox.js')),
      );
      const child = spawn('npx', ['tollgate-stripe-sandbox', '--port', '0'], {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      try {
        const url = await new Promise<string>((resolve, reject) => {
          let output = '';
          const read = (chunk: Buffer) => {
            output += chunk.toString();
            const match = /listening on (http:\/\/\S+)/.exec(output);
            if (match?.[1]) resolve(match[1]);
          };
          child.stdout.on('data', read);
          child.stderr.on('data', read);
          child.once('exit', (code) => reject(new Error(`exited early with ${code}: ${output}`)));
        });
        const stripe = new Stripe('sk_test_npx', {
          host: '127.0.0.1',
          port: Number(new URL(url).port),
          protocol: 'http',
        });
        expect((await stripe.customers.create({})).id).toMatch(/^cus_/);
      } finally {
        // npx runs the command in a child of its own: end the whole group this test started.
        if (child.pid) process.kill(-child.pid, 'SIGTERM');
      }
    },
  );
});
