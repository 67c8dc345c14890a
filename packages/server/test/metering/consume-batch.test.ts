import { toDecimal } from '@tollgate/core';
import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { queryRows } from '../../src/db/query-rows.js';
import { withTransaction } from '../../src/db/transaction.js';
import { AppError } from '../../src/errors.js';
import { loadCheckStates } from '../../src/metering/check/check-state.js';
import { createUpgradeLinks } from '../../src/metering/check-answer.js';
import { consumeBatch } from '../../src/metering/consume/consume-batch.js';
import { describeEachDatabase } from '../support/harness.js';
import { allowedUsed, consumeTogether, createOrganization, sqlRows, usageOf } from './helpers.js';
import { meteringTestCatalog } from './test-catalog.js';

describeEachDatabase(
  'consumes decided together in one batch',
  (harness) => {
    it('answers each consume as if it came alone, in order, and shares idempotency keys within the batch', async () => {
      await createOrganization(harness(), 'org_batch_a');
      await createOrganization(harness(), 'org_batch_b');
      // The free plan allows 5 exports, hard cap.
      const answers = await consumeTogether(harness(), [
        { organizationId: 'org_batch_a', quantity: 2, idempotencyKey: 'k1', projectId: 'p1' },
        { organizationId: 'org_batch_a', quantity: 2, idempotencyKey: 'k1', projectId: 'p1' },
        { organizationId: 'org_batch_a', quantity: 3, idempotencyKey: 'k1' },
        { organizationId: 'org_batch_a', quantity: 2, projectId: 'p2' },
        // Denied: its project gets no counter, so no empty line in the per-project breakdown.
        { organizationId: 'org_batch_a', quantity: 2, projectId: 'p3' },
        { organizationId: 'org_batch_b', quantity: 5 },
        { organizationId: 'org_batch_a', quantity: 1 },
      ]);
      expect(answers.map(allowedUsed)).toEqual([
        [true, 2],
        [true, 2],
        expect.any(AppError),
        [true, 4],
        [false, 4],
        [true, 5],
        [true, 5],
      ]);
      expect(answers[0]).toEqual(answers[1]);
      expect((answers[2] as AppError).code).toBe('idempotency_key_reused');
      expect(answers[4]).toMatchObject({ reason: 'limit_exceeded', remaining: 1 });
      expect((await usageOf(harness(), 'org_batch_a', 'exports')).used).toBe(5);
      expect((await usageOf(harness(), 'org_batch_b', 'exports')).used).toBe(5);
      const projects = await harness().request('GET', '/v1/organizations/org_batch_a/usage');
      expect(projects.body.projects).toEqual([
        { project_id: 'p1', features: [{ feature: 'exports', used: 2 }] },
        { project_id: 'p2', features: [{ feature: 'exports', used: 2 }] },
      ]);
      const events = await sqlRows<{ organization_id: string; total: string; count: string }>(
        harness(),
        `select organization_id, sum(quantity)::text as total, count(*)::text as count from usage_events
         where organization_id in ('org_batch_a', 'org_batch_b') group by 1 order by 1`,
      );
      expect(events).toEqual([
        { organization_id: 'org_batch_a', total: '5', count: '3' },
        { organization_id: 'org_batch_b', total: '5', count: '1' },
      ]);

      // A later batch replays the stored answer for the key and still refuses another quantity.
      const later = await consumeTogether(harness(), [
        { organizationId: 'org_batch_a', quantity: 3, idempotencyKey: 'k1' },
        { organizationId: 'org_batch_a', quantity: 2, idempotencyKey: 'k1', projectId: 'p1' },
        { organizationId: 'org_batch_a', quantity: 2, idempotencyKey: 'k1', projectId: 'p1' },
      ]);
      expect(later[0]).toBeInstanceOf(AppError);
      expect(later[1]).toEqual(answers[0]);
      expect(later[2]).toEqual(answers[0]);
      expect((await usageOf(harness(), 'org_batch_a', 'exports')).used).toBe(5);
    });

    it('fires each alert threshold once, at the consume of the batch that crosses it', async () => {
      await createOrganization(harness(), 'org_batch_alerts', 'standard');
      // Standard allows 100 exports: 79 + 1 crosses 80 %, + 19 + 1 crosses 100 %.
      const answers = await consumeTogether(
        harness(),
        [79, 1, 19, 1, 1].map((quantity) => ({ organizationId: 'org_batch_alerts', quantity })),
      );
      expect(answers.map(allowedUsed)).toEqual([
        [true, 79],
        [true, 80],
        [true, 99],
        [true, 100],
        [false, 100],
      ]);
      const alerts = await sqlRows<{ threshold: number; used: string }>(
        harness(),
        `select threshold, used::text as used from usage_alerts where organization_id = 'org_batch_alerts' order by threshold`,
      );
      expect(alerts).toEqual([
        { threshold: 80, used: '80' },
        { threshold: 100, used: '100' },
      ]);
      const outbox = await sqlRows<{ count: string }>(
        harness(),
        `select count(*)::text as count from notification_outbox where organization_id = 'org_batch_alerts'`,
      );
      expect(outbox).toEqual([{ count: '2' }]);
    });

    it('locks and writes with statements prepared on the batch transaction connection on PostgreSQL', async () => {
      await createOrganization(harness(), 'org_batch_prepared');
      const { db, catalog } = harness().tollgate.context;
      const now = harness().clock.now;
      const feature = { code: 'exports', reset: 'billing_period' as const };
      const [state] = await loadCheckStates(
        db,
        [{ organizationId: 'org_batch_prepared', feature, now }],
        catalog,
      );
      if (!state) throw new Error('no organization org_batch_prepared');
      const input = { organizationId: 'org_batch_prepared', feature: 'exports', consume: true } as const;
      const prepared = await withTransaction(db, async (tx) => {
        const answers = await consumeBatch(
          tx,
          catalog,
          createUpgradeLinks(catalog, () => 'http://localhost:4400'),
          [
            { input: { ...input, quantity: toDecimal(2) }, context: state.context, now },
            { input: { ...input, quantity: toDecimal(1) }, context: state.context, now },
          ],
        );
        expect(answers.map(allowedUsed)).toEqual([
          [true, 2],
          [true, 3],
        ]);
        return queryRows<{ name: string }>(
          tx,
          sql`select name from pg_prepared_statements
              where name in ('tollgate_lock_counters_v1', 'tollgate_consume_write_v1') order by name`,
        );
      });
      // PGlite runs them as plain queries: one process, nothing to plan again elsewhere.
      expect(prepared.map((row) => row.name)).toEqual(
        harness().target.name === 'postgres'
          ? ['tollgate_consume_write_v1', 'tollgate_lock_counters_v1']
          : [],
      );
      expect((await usageOf(harness(), 'org_batch_prepared', 'exports')).used).toBe(3);
    });
  },
  { catalog: meteringTestCatalog },
);
