import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipUnless } from '../../../../test-support/skips.js';
import type { Tollgate } from '../../src/tollgate.js';
import { NEEDS_POSTGRES, testDatabaseUrl } from '../support/databases.js';
import { describeEachDatabase, type Harness } from '../support/harness.js';
import { startProcessesOnOneDatabase } from '../support/processes.js';
import { createOrganization, ingest, sqlRows } from './helpers.js';
import { meteringTestCatalog } from './test-catalog.js';

// Checks answer from remembered state (metering/check-state-cache.ts); these tests change that state
// in every way it can change and expect the next answers to follow.

const checkExports = async (harness: Harness, organizationId: string, quantity = 1) => {
  const response = await harness.request('POST', '/v1/check', {
    body: { organization_id: organizationId, feature: 'exports', quantity },
  });
  expect(response.status).toBe(200);
  return response.body as { allowed: boolean; used: number; limit: number; reason?: string };
};

/** A new organization on the free plan (5 exports), checked once, then moved to standard through the API. */
async function upgradeAfterCheck(harness: Harness, organizationId: string) {
  await createOrganization(harness, organizationId);
  expect(await checkExports(harness, organizationId)).toMatchObject({ limit: 5 });
  const upgraded = await harness.request('PATCH', `/v1/organizations/${organizationId}`, {
    body: { plan: 'standard' },
  });
  expect(upgraded.status).toBe(200);
}

/** Asks until `accept` holds (a notification is on its way), failing after about two seconds. */
async function eventually<T>(ask: () => Promise<T>, accept: (answer: T) => boolean): Promise<T> {
  let answer = await ask();
  for (let attempt = 0; attempt < 100 && !accept(answer); attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    answer = await ask();
  }
  return answer;
}

describeEachDatabase(
  'checks follow every change to what they read',
  (harness) => {
    it("reflect this process's ingestion in the very next answer", async () => {
      await createOrganization(harness(), 'org_ingest');
      expect(await checkExports(harness(), 'org_ingest')).toMatchObject({ used: 0, allowed: true });
      expect(await checkExports(harness(), 'org_ingest')).toMatchObject({ used: 0, allowed: true });
      await ingest(harness(), [{ id: 'e1', organization_id: 'org_ingest', event: 'exports', quantity: 5 }]);
      expect(await checkExports(harness(), 'org_ingest')).toMatchObject({
        used: 5,
        allowed: false,
        reason: 'limit_exceeded',
      });
    });

    it("reflect this process's consumes in the very next answer", async () => {
      await createOrganization(harness(), 'org_consume');
      await checkExports(harness(), 'org_consume');
      const consumed = await harness().request('POST', '/v1/check', {
        body: { organization_id: 'org_consume', feature: 'exports', quantity: 2, consume: true },
      });
      expect(consumed.body).toMatchObject({ allowed: true, used: 2 });
      expect(await checkExports(harness(), 'org_consume')).toMatchObject({ used: 2 });
    });

    it('reflect a plan change made through the API in the very next answer', async () => {
      await upgradeAfterCheck(harness(), 'org_upgrade');
      expect(await checkExports(harness(), 'org_upgrade')).toMatchObject({ limit: 100 });
    });

    it("give this process's ingestion the plan changed through the API after a check", async () => {
      // The check remembers the free plan (5 exports), whose state ingestion may use.
      await upgradeAfterCheck(harness(), 'org_upgrade_ingest');
      // 5 exports are 100 % of the free plan's limit but 5 % of standard's (100): no alert may fire.
      await ingest(harness(), [
        { id: 'p1', organization_id: 'org_upgrade_ingest', event: 'exports', quantity: 5 },
      ]);
      const alerts = await sqlRows<{ threshold: number }>(
        harness(),
        "select threshold from usage_alerts where organization_id = 'org_upgrade_ingest'",
      );
      expect(alerts).toEqual([]);
      expect(await checkExports(harness(), 'org_upgrade_ingest')).toMatchObject({ used: 5, limit: 100 });
    });

    it('reflect a subscription changed by hand-run SQL once its notification lands', async () => {
      await createOrganization(harness(), 'org_sql_billing', 'standard');
      expect(await checkExports(harness(), 'org_sql_billing')).toMatchObject({ allowed: true });
      await sqlRows(
        harness(),
        "update subscriptions set status = 'canceled' where organization_id = 'org_sql_billing'",
      );
      const answer = await eventually(
        () => checkExports(harness(), 'org_sql_billing'),
        (body) => !body.allowed,
      );
      expect(answer).toMatchObject({ allowed: false, reason: 'subscription_inactive' });
    });

    it('reflect a counter changed by hand-run SQL once its notification lands', async () => {
      await createOrganization(harness(), 'org_sql_usage');
      await ingest(harness(), [
        { id: 'u1', organization_id: 'org_sql_usage', event: 'exports', quantity: 1 },
      ]);
      expect(await checkExports(harness(), 'org_sql_usage')).toMatchObject({ used: 1 });
      await sqlRows(
        harness(),
        "update usage_counters set used = 4 where organization_id = 'org_sql_usage' and project_id = ''",
      );
      const answer = await eventually(
        () => checkExports(harness(), 'org_sql_usage'),
        (body) => body.used !== 1,
      );
      expect(answer).toMatchObject({ used: 4 });
    });

    it('start from zero when the period rolls over', async () => {
      harness().clock.set('2026-11-20T12:00:00Z');
      await createOrganization(harness(), 'org_rollover');
      await ingest(harness(), [{ id: 'r1', organization_id: 'org_rollover', event: 'exports', quantity: 3 }]);
      expect(await checkExports(harness(), 'org_rollover')).toMatchObject({ used: 3 });
      harness().clock.set('2026-12-01T00:00:01Z');
      expect(await checkExports(harness(), 'org_rollover')).toMatchObject({ used: 0 });
    });
  },
  { catalog: meteringTestCatalog },
);

// Two server processes on one PostgreSQL database, as a scaled-out deployment runs them: what one
// writes reaches the other's remembered state through the triggers' notifications.
describe('checks in another process [postgres]', skipUnless(testDatabaseUrl, NEEDS_POSTGRES), () => {
  let started: Awaited<ReturnType<typeof startProcessesOnOneDatabase>>;
  beforeAll(async () => {
    started = await startProcessesOnOneDatabase(2, meteringTestCatalog);
  });
  afterAll(async () => started?.stop());
  const writer = () => started.processes[0] as Tollgate;
  const readerCheck = async () =>
    (
      await started.call(started.processes[1] as Tollgate, 'POST', '/v1/check', {
        organization_id: 'org_shared',
        feature: 'exports',
      })
    ).body;

  it("see the other process's ingestion and plan changes", async () => {
    expect(
      (await started.call(writer(), 'POST', '/v1/organizations', { id: 'org_shared', name: 'Shared' }))
        .status,
    ).toBe(201);
    expect(await readerCheck()).toMatchObject({ allowed: true, used: 0, limit: 5 });
    expect(await readerCheck()).toMatchObject({ allowed: true, used: 0, limit: 5 });
    const ingested = await started.call(writer(), 'POST', '/v1/events', {
      events: [{ id: 's1', organization_id: 'org_shared', event: 'exports', quantity: 5 }],
    });
    expect(ingested.body).toMatchObject({ accepted: 1 });
    expect(await eventually(readerCheck, (body) => body.used === 5)).toMatchObject({
      allowed: false,
      used: 5,
      reason: 'limit_exceeded',
    });
    expect(
      (await started.call(writer(), 'PATCH', '/v1/organizations/org_shared', { plan: 'standard' })).status,
    ).toBe(200);
    // A plan change through the API starts a new period on the new plan (counters from zero).
    expect(await eventually(readerCheck, (body) => body.limit === 100)).toMatchObject({
      allowed: true,
      limit: 100,
    });
  });
});
