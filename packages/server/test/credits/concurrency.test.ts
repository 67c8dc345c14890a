import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipUnless } from '../../../../test-support/skips.js';
import { NEEDS_POSTGRES, testDatabaseUrl } from '../support/databases.js';
import { type Harness, startHarness } from '../support/harness.js';
import { createOrganization, expectBalance, grant } from './credit-api.js';

/**
 * Locking needs a real PostgreSQL (PGlite runs one query at a time), so this runs only when
 * TEST_DATABASE_URL is set. The requests go through the HTTP layer in-process, all at once, on a
 * connection pool of 50, so up to 50 transactions really contend for the same wallet.
 */
describe(
  'credit consumes and transfers under concurrency [postgres]',
  skipUnless(testDatabaseUrl, NEEDS_POSTGRES),
  () => {
    let started: Awaited<ReturnType<typeof startHarness>>;
    let h: Harness;
    beforeAll(async () => {
      started = await startHarness({ name: 'postgres' }, { tollgate: { databasePoolSize: 50 } });
      h = started.harness;
    });
    afterAll(async () => started?.stop());

    it('never overdraws: 300 concurrent consumes of 5 credits against a balance of 1000', async () => {
      await createOrganization(h, 'org_race');
      // Three lots of different sources and expiries, so debits also cross lot boundaries under contention.
      await grant(h, 'org_race', { amount: 400, source: 'purchased' });
      await grant(h, 'org_race', { amount: 350, source: 'promotional', expires_at: '2026-11-30T00:00:00Z' });
      await grant(h, 'org_race', { amount: 250, source: 'subscription', expires_at: '2026-12-01T00:00:00Z' });
      const started = performance.now();
      const answers = await Promise.all(
        Array.from({ length: 300 }, (_, index) =>
          h.request('POST', '/v1/credits/consume', {
            body: {
              organization_id: 'org_race',
              event_name: 'api_call_premium',
              idempotency_key: `race-${index}`,
            },
          }),
        ),
      );
      const elapsed = performance.now() - started;
      expect(answers.map((answer) => answer.status).filter((status) => status !== 200)).toEqual([]);
      const allowed = answers.filter((answer) => answer.body.allowed === true);
      const refused = answers.filter((answer) => answer.body.allowed === false);
      expect(allowed).toHaveLength(200);
      expect(refused).toHaveLength(100);
      expect(refused.every((answer) => answer.body.code === 'insufficient_credits')).toBe(true);
      await expectBalance(h, 'org_race', '0');
      console.info(`300 concurrent consumes on one organization: ${elapsed.toFixed(0)} ms`);
    });

    it('debits once for 100 concurrent requests with one idempotency_key, all answered alike', async () => {
      await createOrganization(h, 'org_retry');
      await grant(h, 'org_retry', { amount: 100, source: 'purchased' });
      const answers = await Promise.all(
        Array.from({ length: 100 }, () =>
          h.request('POST', '/v1/credits/consume', {
            body: { organization_id: 'org_retry', event_name: 'ai_inference', idempotency_key: 'same-key' },
          }),
        ),
      );
      expect(new Set(answers.map((answer) => JSON.stringify(answer.body))).size).toBe(1);
      expect(answers[0]?.body).toMatchObject({ allowed: true, cost: '25', balance: '75' });
      await expectBalance(h, 'org_retry', '75');
    });

    it('runs opposite transfers between two organizations without deadlock or loss', async () => {
      await createOrganization(h, 'org_east');
      await createOrganization(h, 'org_west');
      await grant(h, 'org_east', { amount: 1000, source: 'purchased' });
      await grant(h, 'org_west', { amount: 1000, source: 'purchased' });
      const answers = await Promise.all(
        Array.from({ length: 200 }, (_, index) =>
          h.request('POST', '/v1/credits/transfer', {
            body: {
              from_organization_id: index % 2 === 0 ? 'org_east' : 'org_west',
              to_organization_id: index % 2 === 0 ? 'org_west' : 'org_east',
              amount: 7,
              idempotency_key: `swap-${index}`,
            },
          }),
        ),
      );
      expect(answers.filter((answer) => answer.status !== 200 || answer.body.allowed !== true)).toEqual([]);
      // 100 transfers of 7 each way: both end where they began.
      await expectBalance(h, 'org_east', '1000');
      await expectBalance(h, 'org_west', '1000');
    });
  },
);
