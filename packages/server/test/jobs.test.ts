import { sql } from 'drizzle-orm';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { JOBS_LOCK_KEY, runScheduledJobs } from '../src/jobs/scheduler.js';
import { testDatabaseUrl } from './support/databases.js';
import { describeEachDatabase, startHarness } from './support/harness.js';

describeEachDatabase('periodic jobs', (harness) => {
  it('expire credits that passed their expiry, journaled, so the balance drops', async () => {
    await harness().request('POST', '/v1/organizations', { body: { id: 'jobs_org', name: 'Jobs' } });
    const grant = await harness().request('POST', '/v1/organizations/jobs_org/credits/grants', {
      body: {
        amount: 40,
        source: 'promotional',
        expires_at: '2026-11-20T00:00:00Z',
        idempotency_key: 'promo',
      },
    });
    expect(grant.status).toBe(201);
    const balance = async () =>
      (await harness().request('GET', '/v1/organizations/jobs_org/credits')).body.balance;
    expect(await balance()).toBe('40');

    const { database } = harness().tollgate;
    const { catalog } = harness().tollgate.context;
    const run = await runScheduledJobs(database, catalog, new Date('2026-11-21T00:00:00Z'));
    expect(run).toMatchObject({ ran: true });
    expect(await balance()).toBe('0');
    const journal = await harness().request('GET', '/v1/organizations/jobs_org/credits/transactions');
    expect(journal.body.data.map((entry: { kind: string }) => entry.kind)).toContain('expiry');
    // A second round finds nothing more to do.
    expect(await runScheduledJobs(database, catalog, new Date('2026-11-21T00:00:00Z'))).toMatchObject({
      ran: true,
      expired_wallets: 0,
    });
  });
});

describe.skipIf(!testDatabaseUrl)('periodic jobs on a shared PostgreSQL [postgres]', () => {
  it('skip the round while another process holds the jobs lock', async () => {
    const { harness, stop } = await startHarness({ name: 'postgres' });
    const { database, context } = harness.tollgate;
    // A second session on the same scratch database plays the other Tollgate process.
    const { rows } = await database.db.execute(sql`select current_database() as name`);
    const url = new URL(testDatabaseUrl as string);
    url.pathname = `/${String(rows[0]?.name)}`;
    const otherProcess = new pg.Client({ connectionString: url.toString() });
    await otherProcess.connect();
    try {
      await otherProcess.query('select pg_advisory_lock($1)', [JOBS_LOCK_KEY]);
      expect(await runScheduledJobs(database, context.catalog, harness.clock.now)).toEqual({ ran: false });
      await otherProcess.query('select pg_advisory_unlock($1)', [JOBS_LOCK_KEY]);
      expect(await runScheduledJobs(database, context.catalog, harness.clock.now)).toMatchObject({
        ran: true,
      });
    } finally {
      await otherProcess.end();
      await stop();
    }
  });
});
