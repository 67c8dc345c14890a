import { sql } from 'drizzle-orm';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { skipUnless } from '../../../test-support/skips.js';
import { JOBS_LOCK_KEY, runScheduledJobs } from '../src/jobs/scheduler.js';
import { renewSubscriptionPeriods } from '../src/subscriptions/renew-periods.js';
import { sqlRows } from './metering/helpers.js';
import { NEEDS_POSTGRES, testDatabaseUrl } from './support/databases.js';
import { describeEachDatabase, startHarness } from './support/harness.js';

describeEachDatabase('periodic jobs', (harness) => {
  it('renew manual and default plans from their anchor, and grant each new period its credits', async () => {
    const h = harness();
    const { database } = h.tollgate;
    const { catalog } = h.tollgate.context;
    const started = h.clock.now;
    const run = (at: string) => runScheduledJobs(database, catalog, new Date(at));
    const subscriptionOf = async (id: string) => {
      const response = await h.request('GET', `/v1/organizations/${id}`);
      const { current_period_start, current_period_end } = response.body.subscription;
      return [current_period_start, current_period_end];
    };
    const usagePeriod = async (id: string) => {
      const response = await h.request('GET', `/v1/organizations/${id}/usage`);
      return [response.body.period.start, response.body.period.end];
    };
    try {
      h.clock.set('2027-01-31T10:00:00.000Z');
      for (const body of [
        { id: 'renew_manual', name: 'Manual', plan: 'standard' },
        { id: 'renew_free', name: 'Free' },
      ]) {
        expect((await h.request('POST', '/v1/organizations', { body })).status).toBe(201);
      }
      expect(await run('2027-01-31T10:00:00Z')).toMatchObject({ renewed_subscriptions: 0, allocations: 1 });

      expect(await run('2027-02-28T10:00:00Z')).toMatchObject({ renewed_subscriptions: 2, allocations: 1 });
      expect(await subscriptionOf('renew_manual')).toEqual([
        '2027-02-28T10:00:00.000Z',
        '2027-03-31T10:00:00.000Z',
      ]);
      expect(await subscriptionOf('renew_free')).toEqual([
        '2027-02-01T00:00:00.000Z',
        '2027-03-01T00:00:00.000Z',
      ]);
      // The first period's credits expired at its end; the second period's were granted.
      h.clock.set('2027-02-28T10:00:00.000Z');
      const credits = await h.request('GET', '/v1/organizations/renew_manual/credits');
      expect(credits.body.balance).toBe('10000');
      expect(credits.body.lots).toEqual([
        expect.objectContaining({ amount: '10000', expires_at: '2027-03-31T10:00:00.000Z' }),
      ]);
      // A second round in the same period changes nothing.
      expect(await run('2027-02-28T10:01:00Z')).toMatchObject({ renewed_subscriptions: 0, allocations: 0 });

      // Between the period end and the next round, usage already counts in the period from the
      // anchor (the 31st), not in one chained from the clipped Feb 28.
      h.clock.set('2027-03-31T10:00:30.000Z');
      expect(await usagePeriod('renew_manual')).toEqual([
        '2027-03-31T10:00:00.000Z',
        '2027-04-30T10:00:00.000Z',
      ]);
      expect(await run('2027-03-31T10:01:00Z')).toMatchObject({ renewed_subscriptions: 2, allocations: 1 });
      expect(await subscriptionOf('renew_manual')).toEqual([
        '2027-03-31T10:00:00.000Z',
        '2027-04-30T10:00:00.000Z',
      ]);
      const manual = await h.request('GET', '/v1/organizations/renew_manual');
      expect(manual.body.subscription.billing_cycle_anchor).toBe('2027-01-31T10:00:00.000Z');
      expect(await usagePeriod('renew_manual')).toEqual([
        '2027-03-31T10:00:00.000Z',
        '2027-04-30T10:00:00.000Z',
      ]);

      const history = await sqlRows<{
        change: string;
        details: Record<string, string>;
      }>(
        h,
        `select h.change, h.details from subscription_history h
         where h.organization_id = 'renew_manual' order by h.id`,
      );
      expect(history.map((row) => row.change)).toEqual(['created', 'renewed', 'renewed']);
      expect(history[2]?.details).toMatchObject({ source: 'manual', interval: 'month' });
      expect(new Date(history[2]?.details.previous_period_end as string).toISOString()).toBe(
        '2027-03-31T10:00:00.000Z',
      );
      expect(new Date(history[2]?.details.period_end as string).toISOString()).toBe(
        '2027-04-30T10:00:00.000Z',
      );
      // Page by page, one subscription at a time: each is renewed once and none is skipped.
      expect(
        await renewSubscriptionPeriods(database.db, new Date('2027-04-30T10:00:00Z'), { pageSize: 1 }),
      ).toEqual({ renewed: 2 });
      expect(await subscriptionOf('renew_free')).toEqual([
        '2027-04-01T00:00:00.000Z',
        '2027-05-01T00:00:00.000Z',
      ]);
      expect(await subscriptionOf('renew_manual')).toEqual([
        '2027-04-30T10:00:00.000Z',
        '2027-05-31T10:00:00.000Z',
      ]);
    } finally {
      h.clock.set(started);
    }
  });

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

describe(
  'periodic jobs on a shared PostgreSQL [postgres]',
  skipUnless(testDatabaseUrl, NEEDS_POSTGRES),
  () => {
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
  },
);
