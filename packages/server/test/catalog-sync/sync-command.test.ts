import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Catalog, demoCatalog } from '@tollgate/core';
import { type StripeSandbox, startStripeSandbox } from '@tollgate/stripe-sandbox';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipUnless } from '../../../../test-support/skips.js';
import { subscriptions } from '../../src/db/schema/index.js';
import { readSyncedCatalog } from '../../src/stripe/catalog/synced-catalog-store.js';
import { createTollgate } from '../../src/tollgate.js';
import { createScratchDatabase, testDatabaseUrl } from '../support/databases.js';
import { TEST_ADMIN_KEY } from '../support/harness.js';
import { startServerProcess } from '../support/server-process.js';

const cliScript = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const directories: string[] = [];
const temporaryDirectory = () => {
  const directory = mkdtempSync(path.join(tmpdir(), 'tollgate-sync-'));
  directories.push(directory);
  return directory;
};
afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

/** Runs `tollgate …` as `npm run tollgate --` does, with only the given environment. */
function runCli(args: string[], environment: Record<string, string>) {
  if (!existsSync(cliScript)) throw new Error(`${cliScript} is missing: run "npm run build" first`);
  const child = spawn(process.execPath, [cliScript, ...args], {
    env: { PATH: process.env.PATH ?? '', ...environment },
    cwd: temporaryDirectory(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, stdout, stderr })),
  );
}

/** A port nothing listens on: bound by the system, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('npm run tollgate -- stripe sync', { timeout: 120_000 }, () => {
  let sandbox: StripeSandbox;
  beforeAll(async () => {
    sandbox = await startStripeSandbox({ port: 0, dataDir: null });
  });
  afterAll(async () => {
    await sandbox.close();
  });
  const environment = () => ({ STRIPE_SANDBOX_PORT: String(sandbox.port) });

  it('prints what a dry run would change, changes nothing and exits 0', async () => {
    const run = await runCli(['stripe', 'sync', '--dry-run'], environment());
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`into the Stripe sandbox at http://127.0.0.1:${sandbox.port} (dry run)`);
    expect(run.stdout).toContain('  would create product "Standard" (plan:standard)');
    expect(run.stdout).toContain('  would create meter tollgate_api_calls (formula sum)');
    expect(run.stdout.trim().split('\n').at(-1)).toBe(
      'dry run, would make 39 changes: 9 create product, 5 create meter, 24 create price, 1 create portal configuration',
    );
    const stripe = new Stripe('sk_test_cli', { host: '127.0.0.1', port: sandbox.port, protocol: 'http' });
    expect((await stripe.products.list()).data).toEqual([]);
  });

  it('makes the changes, then finds none on a second run', async () => {
    const first = await runCli(['stripe', 'sync'], environment());
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('  create price tollgate_standard_month\n');
    expect(first.stdout.trim().split('\n').at(-1)).toMatch(/^made 39 changes: /);
    const second = await runCli(['stripe', 'sync'], { STRIPE_API_URL: sandbox.url });
    expect(second.code).toBe(0);
    expect(second.stdout.trim().split('\n').at(-1)).toBe('no changes');
    expect(second.stderr).toBe('');
  });

  it('says in one line that nothing listens, and exits 1', async () => {
    const run = await runCli(['stripe', 'sync'], { STRIPE_SANDBOX_PORT: String(await closedPort()) });
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^tollgate: nothing listens at http:\/\/127\.0\.0\.1:\d+: start Tollgate \(npm start\)/,
    );
  });

  it('prints the usage for an unknown command or option and exits non-zero', async () => {
    const unknown = await runCli(['stripe', 'frobnicate'], environment());
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "stripe frobnicate"');
    expect(unknown.stderr).toContain('stripe sync [--dry-run]');
    const option = await runCli(['stripe', 'sync', '--force'], environment());
    expect(option.code).toBe(2);
    expect(option.stderr.trim()).toBe('tollgate: unknown option --force (stripe sync takes --dry-run)');
  });
});

describe('the server at start', { timeout: 180_000 }, () => {
  it('syncs the catalog into its sandbox, shows the ids, and names organizations on a retired plan', async () => {
    const dataDir = temporaryDirectory();
    const first = await startServerProcess({ DATA_DIR: dataDir, LOG_LEVEL: 'info', DEMO_DATA: 'false' });
    try {
      expect(first.output()).toContain('stripe catalog sync: 39 changes');
      const sandboxUrl = /sandbox at (http:\/\/\S+)/.exec(first.output())?.[1] as string;
      const beside = await runCli(['stripe', 'sync'], { STRIPE_API_URL: sandboxUrl });
      expect(beside.stdout.trim().split('\n').at(-1)).toBe('no changes');
      const plans = await fetch(`${first.url}/v1/plans`, {
        headers: { authorization: `Bearer ${first.adminKey}` },
      });
      const body = (await plans.json()) as any;
      expect(
        body.plans.find((plan: any) => plan.code === 'enterprise').prices.monthly.stripe_price_id,
      ).toMatch(/^price_/);
      const created = await fetch(`${first.url}/v1/organizations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${first.adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'old_deal', name: 'Old deal', plan: 'enterprise' }),
      });
      expect(created.status).toBe(201);
    } finally {
      expect(await first.stop('SIGTERM')).toBe(0);
    }
    const withoutEnterprise: any = structuredClone(demoCatalog);
    delete withoutEnterprise.plans.enterprise;
    delete withoutEnterprise.plans.standard.upgrade_to;
    const catalogFile = path.join(dataDir, 'catalog.json');
    writeFileSync(catalogFile, JSON.stringify(withoutEnterprise));
    const second = await startServerProcess({
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      DEMO_DATA: 'false',
      TOLLGATE_CATALOG: catalogFile,
    });
    try {
      expect(second.output()).toContain(
        'plan \\"enterprise\\" is no longer in the catalog; 1 organization is still on it: old_deal',
      );
      expect(second.output()).toContain(
        'stripe catalog sync: 11 changes: 10 archive price, 1 update portal configuration',
      );
    } finally {
      expect(await second.stop('SIGTERM')).toBe(0);
    }
  });
});

describe('stripe sync with DATABASE_URL', {
  timeout: 120_000,
  ...skipUnless(
    testDatabaseUrl,
    'needs PostgreSQL (the command runs against DATABASE_URL): set TEST_DATABASE_URL',
  ),
}, () => {
  it('stores the ids it ended with and lists the organizations on retired plans', async () => {
    const scratch = await createScratchDatabase();
    const sandbox = await startStripeSandbox({ port: 0, dataDir: null });
    const open = () =>
      createTollgate({
        databaseUrl: scratch.url,
        catalog: Catalog.from(demoCatalog),
        adminKey: TEST_ADMIN_KEY,
      });
    try {
      const before = await open();
      try {
        const created = await before.app.inject({
          method: 'POST',
          url: '/v1/organizations',
          headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
          payload: { id: 'on_legacy', name: 'On legacy', plan: 'standard' },
        });
        expect(created.statusCode).toBe(201);
        // As if an earlier catalog had sold "legacy_team" and the current one dropped it.
        await before.context.db.update(subscriptions).set({ planCode: 'legacy_team' });
      } finally {
        await before.close();
      }
      const run = await runCli(['stripe', 'sync'], {
        STRIPE_API_URL: sandbox.url,
        DATABASE_URL: scratch.url,
      });
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(
        '  retired: plan "legacy_team" is no longer in the catalog; 1 organization is still on it: on_legacy',
      );
      const after = await open();
      try {
        const stored = await readSyncedCatalog(after.context.db, 'sandbox');
        const stripe = new Stripe('sk_test_cli', { host: '127.0.0.1', port: sandbox.port, protocol: 'http' });
        const [monthly] = (await stripe.prices.list({ lookup_keys: ['tollgate_standard_month'] })).data;
        expect(stored.get('tollgate_standard_month')).toBe(monthly?.id);
        expect(stored.get('portal_configuration')).toMatch(/^bpc_/);
      } finally {
        await after.close();
      }
    } finally {
      await sandbox.close();
      await scratch.drop();
    }
  });
});
