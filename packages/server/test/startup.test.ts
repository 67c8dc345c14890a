import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { demoCatalog } from '@tollgate/core';
import Stripe from 'stripe';
import { afterAll, describe, expect, it } from 'vitest';
import { skipUnless } from '../../../test-support/skips.js';
import { createScratchDatabase, NEEDS_POSTGRES, testDatabaseUrl } from './support/databases.js';
import { runFailingServer, startServerProcess } from './support/server-process.js';

const directories: string[] = [];
const temporaryDirectory = () => {
  const directory = mkdtempSync(path.join(tmpdir(), 'tollgate-start-'));
  directories.push(directory);
  return directory;
};
afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

const stripeAt = (url: string) => {
  const { hostname, port } = new URL(url);
  return new Stripe('sk_test_startup', { host: hostname, port: Number(port), protocol: 'http' });
};

const call = async (url: string, key: string, method: string, body?: unknown) => {
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: (await response.json()) as any };
};

describe('the server process', { timeout: 180_000 }, () => {
  it('keeps organizations, projects and their audit trail across a restart, with the same generated key', async () => {
    const dataDir = temporaryDirectory();
    const first = await startServerProcess({ DATA_DIR: dataDir });
    expect(first.adminKey).toMatch(/^tg_sk_/);
    // The banner says where the generated key is kept, and never prints it.
    expect(first.output()).toContain(`admin key : in ${path.join(dataDir, 'admin-key')} (generated now)`);
    expect(first.output()).not.toContain(first.adminKey);
    expect(first.output()).toContain('demo data : organizations acme, globex, initech');
    // PGlite's database lives in the request thread, and so does ingestion with it.
    expect(first.output()).toContain('ingestion : in the request thread');
    const sandboxUrl = /built-in sandbox at (\S+)/.exec(first.output())?.[1];
    expect(sandboxUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // The embedded Stripe sandbox answers like Stripe: an unauthenticated call gets Stripe's error object.
    const stripeAnswer = await fetch(`${sandboxUrl}/v1/customers`);
    expect(stripeAnswer.status).toBe(401);
    expect(((await stripeAnswer.json()) as any).error.type).toBe('invalid_request_error');
    const customer = await stripeAt(sandboxUrl as string).customers.create({ email: 'kept@restart.test' });
    const organization = await call(`${first.url}/v1/organizations`, first.adminKey, 'POST', {
      id: 'restart_org',
      name: 'Restart',
    });
    expect(organization.status).toBe(201);
    const project = await call(`${first.url}/v1/organizations/restart_org/projects`, first.adminKey, 'POST', {
      id: 'main',
      name: 'Main',
    });
    expect(project.status).toBe(201);
    expect(await first.stop('SIGTERM')).toBe(0);

    const second = await startServerProcess({ DATA_DIR: dataDir });
    try {
      expect(second.adminKey).toBe(first.adminKey);
      // Stripe ids stored before the restart still resolve in the sandbox afterwards.
      const secondSandboxUrl = /built-in sandbox at (\S+)/.exec(second.output())?.[1] as string;
      expect((await stripeAt(secondSandboxUrl).customers.retrieve(customer.id)) as any).toMatchObject({
        id: customer.id,
        email: 'kept@restart.test',
      });
      expect(second.output()).not.toContain('demo data');
      expect(
        (await call(`${second.url}/v1/organizations/restart_org`, second.adminKey, 'GET')).body.name,
      ).toBe('Restart');
      const projects = await call(
        `${second.url}/v1/organizations/restart_org/projects`,
        second.adminKey,
        'GET',
      );
      expect(projects.body.data.map((item: { id: string }) => item.id)).toEqual(['main']);
      const audit = await call(
        `${second.url}/v1/organizations/restart_org/audit-log`,
        second.adminKey,
        'GET',
      );
      expect(audit.body.data.map((entry: { action: string }) => entry.action)).toEqual([
        'project.created',
        'organization.created',
      ]);
    } finally {
      await second.stop();
    }
  });

  it('never writes a secret key or session token to its logs', async () => {
    const server = await startServerProcess({
      DATA_DIR: temporaryDirectory(),
      LOG_LEVEL: 'trace',
      DEMO_DATA: 'no',
    });
    try {
      const key = await call(`${server.url}/v1/api-keys`, server.adminKey, 'POST', { name: 'logged?' });
      await call(`${server.url}/v1/organizations`, key.body.secret, 'POST', { id: 'log_org', name: 'Logs' });
      const session = await call(
        `${server.url}/v1/organizations/log_org/sessions`,
        key.body.secret,
        'POST',
        {},
      );
      await call(`${server.url}/v1/organizations/log_org`, session.body.token, 'GET');
      await call(`${server.url}/v1/organizations/log_org`, 'tg_sk_wrong_key_that_must_not_be_logged', 'GET');
      await server.stop();
      // The log lines (JSON) and the start-up banner alike.
      const logs = server.output();
      expect(logs).toContain('"statusCode":401');
      for (const secret of [
        server.adminKey,
        key.body.secret,
        session.body.token,
        'tg_sk_wrong_key_that_must_not',
      ]) {
        expect(logs).not.toContain(secret);
      }
    } finally {
      await server.stop();
    }
  });

  it('refuses to start on a bad catalog, naming the bad field', async () => {
    const directory = temporaryDirectory();
    const catalogFile = path.join(directory, 'catalog.json');
    const broken = structuredClone(demoCatalog) as any;
    broken.plans.standard.features.llm_tokens.cap = 'sometimes';
    writeFileSync(catalogFile, JSON.stringify(broken));
    const result = await runFailingServer({ DATA_DIR: directory, TOLLGATE_CATALOG: catalogFile });
    expect(result.code).toBe(1);
    expect(result.output).toContain('plans.standard.features.llm_tokens');
  });

  it('refuses to start on a missing catalog file with one line, no stack trace', async () => {
    const directory = temporaryDirectory();
    const result = await runFailingServer({
      DATA_DIR: directory,
      TOLLGATE_CATALOG: path.join(directory, 'absent.json'),
    });
    expect(result.code).toBe(1);
    expect(result.output).toContain('catalog file not found');
    expect(result.output).not.toMatch(/\n\s+at /);
    expect(result.output.trim().split('\n')).toHaveLength(1);
  });

  it('refuses to start on a bad environment, naming the variable', async () => {
    const result = await runFailingServer({ DATA_DIR: temporaryDirectory(), PORT: 'eighty' });
    expect(result.code).toBe(1);
    expect(result.output).toContain('PORT');
  });

  it('loads a YAML catalog file', async () => {
    const directory = temporaryDirectory();
    const catalogFile = path.join(directory, 'tollgate.config.yaml');
    writeFileSync(
      catalogFile,
      [
        'version: tiny-1',
        'features:',
        '  widgets: { name: Widgets }',
        'plans:',
        '  free:',
        '    name: Free',
        '    prices: { monthly: { amount: 0 } }',
        '    features: { widgets: { included: 5, cap: hard } }',
      ].join('\n'),
    );
    const server = await startServerProcess({
      DATA_DIR: directory,
      TOLLGATE_CATALOG: catalogFile,
      DEMO_DATA: 'no',
    });
    try {
      const plans = await call(`${server.url}/v1/plans`, server.adminKey, 'GET');
      expect(plans.body.catalog_version).toBe('tiny-1');
      expect(plans.body.plans.map((plan: { code: string }) => plan.code)).toEqual(['free']);
    } finally {
      await server.stop();
    }
  });

  describe('on one PostgreSQL database', skipUnless(testDatabaseUrl, NEEDS_POSTGRES), () => {
    it('two processes started at the same moment both come up and serve requests', async () => {
      const scratch = await createScratchDatabase();
      const environment = {
        DATABASE_URL: scratch.url,
        TOLLGATE_ADMIN_KEY: 'tg_sk_shared_admin_key_for_two_processes',
        DEMO_DATA: 'false',
      };
      const [first, second] = await Promise.all([
        startServerProcess({ ...environment, DATA_DIR: temporaryDirectory() }),
        startServerProcess({ ...environment, DATA_DIR: temporaryDirectory() }),
      ]);
      try {
        const key = environment.TOLLGATE_ADMIN_KEY;
        const created = await call(`${first.url}/v1/organizations`, key, 'POST', {
          id: 'shared',
          name: 'Shared',
        });
        expect(created.status).toBe(201);
        expect((await call(`${second.url}/v1/organizations/shared`, key, 'GET')).status).toBe(200);
        const session = await call(`${first.url}/v1/organizations/shared/sessions`, key, 'POST', {});
        // A session minted by one process is accepted by the other.
        expect((await call(`${second.url}/v1/organizations/shared`, session.body.token, 'GET')).status).toBe(
          200,
        );
        // Revoked through one process, the token stops working in the other (told through NOTIFY).
        expect((await call(`${first.url}/v1/organizations/shared/sessions`, key, 'DELETE')).status).toBe(200);
        let answer = 200;
        for (let attempt = 0; attempt < 100 && answer === 200; attempt += 1) {
          answer = (await call(`${second.url}/v1/organizations/shared`, session.body.token, 'GET')).status;
          if (answer === 200) await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect(answer).toBe(401);
        expect(first.output()).toContain('admin key : the TOLLGATE_ADMIN_KEY variable');
        expect(first.output() + second.output()).not.toContain(key);
      } finally {
        await Promise.all([first.stop(), second.stop()]);
        await scratch.drop();
      }
    });
  });
});

describe('the server process with its built-in Stripe sandbox', { timeout: 180_000 }, () => {
  it('syncs the catalog and registers its webhook endpoint at start, so a paid Checkout reaches it', async () => {
    const server = await startServerProcess({ DATA_DIR: temporaryDirectory(), DEMO_DATA: 'no' });
    try {
      const sandboxUrl = /built-in sandbox at (\S+)/.exec(server.output())?.[1] as string;
      const stripe = stripeAt(sandboxUrl);
      const endpoints = await stripe.webhookEndpoints.list();
      expect(endpoints.data.map((endpoint) => endpoint.url)).toEqual([`${server.url}/v1/webhooks/stripe`]);
      expect(
        (await call(`${server.url}/v1/plans`, server.adminKey, 'GET')).body.plans.find(
          (plan: { code: string }) => plan.code === 'standard',
        ).prices.monthly.stripe_price_id,
      ).toMatch(/^price_/);
      await call(`${server.url}/v1/organizations`, server.adminKey, 'POST', { id: 'paying', name: 'Paying' });
      const checkout = await call(`${server.url}/v1/organizations/paying/checkout`, server.adminKey, 'POST', {
        plan: 'standard',
      });
      expect(checkout.status).toBe(201);
      await stripe.rawRequest('POST', `/v1/test_helpers/checkout/sessions/${checkout.body.id}/complete`, {
        payment_method: 'pm_card_visa',
      });
      let status = '';
      for (let attempt = 0; attempt < 200 && status !== 'trialing'; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        status = (await call(`${server.url}/v1/organizations/paying/subscription`, server.adminKey, 'GET'))
          .body.status;
      }
      expect(status).toBe('trialing');
    } finally {
      await server.stop();
    }
  });
});
