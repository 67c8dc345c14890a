import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Catalog, type CatalogInput, demoCatalog } from '@tollgate/core';
import { afterAll, describe, expect, it } from 'vitest';
import { runScheduledJobs } from '../src/jobs/scheduler.js';
import { createTollgate } from '../src/tollgate.js';
import { createScratchDatabase, databaseTargets } from './support/databases.js';
import { TEST_ADMIN_KEY } from './support/harness.js';

const standardWith = (apiCalls: number, billing: { migrate_at_renewal?: boolean } = {}): CatalogInput => ({
  ...demoCatalog,
  billing,
  plans: {
    ...demoCatalog.plans,
    standard: {
      ...demoCatalog.plans.standard,
      features: { ...demoCatalog.plans.standard.features, api_calls: { included: apiCalls, cap: 'hard' } },
    },
  },
});

const directories: string[] = [];
afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

for (const target of databaseTargets) {
  describe(`plan versions across catalog changes [${target.name}]`, () => {
    it('keeps subscribers on the limits they subscribed to, and moves them at renewal when the catalog says so', async () => {
      const scratch = target.name === 'postgres' ? await createScratchDatabase() : undefined;
      const pgliteDir = scratch ? null : mkdtempSync(path.join(tmpdir(), 'tollgate-versions-'));
      if (pgliteDir) directories.push(pgliteDir);
      let now = new Date('2026-11-15T12:00:00Z');
      const start = (catalog: CatalogInput) =>
        createTollgate({
          databaseUrl: scratch?.url,
          pgliteDir,
          catalog: Catalog.from(catalog),
          adminKey: TEST_ADMIN_KEY,
          now: () => now,
        });
      const call = async (
        tollgate: Awaited<ReturnType<typeof start>>,
        method: string,
        url: string,
        body?: object,
      ) => {
        const response = await tollgate.app.inject({
          method: method as 'GET',
          url,
          headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
          ...(body ? { payload: body } : {}),
        });
        return { status: response.statusCode, body: response.json() };
      };
      const limitOf = async (tollgate: Awaited<ReturnType<typeof start>>, organizationId: string) =>
        (await call(tollgate, 'POST', '/v1/check', { organization_id: organizationId, feature: 'api_calls' }))
          .body.limit;
      try {
        const first = await start(standardWith(100_000));
        await call(first, 'POST', '/v1/organizations', { id: 'early', name: 'Early', plan: 'standard' });
        expect(await limitOf(first, 'early')).toBe(100_000);
        await first.close();

        // The operator halves the plan's allowance: the early subscriber keeps its version.
        const second = await start(standardWith(50_000));
        await call(second, 'POST', '/v1/organizations', { id: 'late', name: 'Late', plan: 'standard' });
        expect(await limitOf(second, 'early')).toBe(100_000);
        expect(await limitOf(second, 'late')).toBe(50_000);
        const usage = await call(second, 'GET', '/v1/organizations/early/usage');
        expect(usage.body.plan).toBe('standard');
        await second.close();

        // With migrate_at_renewal, the next renewal moves every subscriber to today's version.
        const third = await start(standardWith(50_000, { migrate_at_renewal: true }));
        expect(await limitOf(third, 'early')).toBe(100_000);
        now = new Date('2026-12-16T00:00:00Z');
        const jobs = await runScheduledJobs(third.database, third.context.catalog, now);
        expect(jobs).toMatchObject({ ran: true });
        third.context.metering.checks.invalidateBilling(['early', 'late']);
        expect(await limitOf(third, 'early')).toBe(50_000);
        await third.close();
      } finally {
        await scratch?.drop();
      }
    });
  });
}
