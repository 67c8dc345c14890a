import type { BillingContext } from '@tollgate/core';
import { expect, it } from 'vitest';
import type { CreditEventDebit } from '../../src/metering/ingest/credit-events.js';
import { createIngestQueue } from '../../src/metering/ingest/ingest-queue.js';
import { describeEachDatabase } from '../support/harness.js';
import { createOrganization, sqlRows, usageOf } from './helpers.js';
import { meteringTestCatalog } from './test-catalog.js';

const now = new Date('2026-11-15T12:00:00.000Z');
const tokens = (organizationId: string, id: string, quantity: number) => ({
  id,
  organization_id: organizationId,
  event: 'llm_tokens',
  quantity,
});

describeEachDatabase(
  'ingest queue',
  (harness) => {
    it('answers requests stored together as if each had been stored after the one before', async () => {
      await createOrganization(harness(), 'org_queue');
      const { db, catalog } = harness().tollgate.context;
      // One transaction at a time: the first request starts alone, the next two wait and go together.
      const queue = createIngestQueue(db, { catalog, concurrentTransactions: 1 });
      const answers = await Promise.all([
        queue.ingest([tokens('org_queue', 'q1', 1)], now),
        queue.ingest([tokens('org_queue', 'q2', 10), tokens('org_queue', 'q1', 1)], now),
        queue.ingest(
          [tokens('org_queue', 'q2', 10), tokens('org_queue', 'q3', 100), { id: 'bad', event: 'llm_tokens' }],
          now,
        ),
      ]);
      expect(answers).toEqual([
        { accepted: 1, duplicates: 0, rejected: [] },
        { accepted: 1, duplicates: 1, rejected: [] },
        {
          accepted: 1,
          duplicates: 1,
          rejected: [
            { index: 2, code: 'invalid_event', message: expect.stringContaining('organization_id') },
          ],
        },
      ]);
      expect((await usageOf(harness(), 'org_queue', 'llm_tokens')).used).toBe(111);
    });

    it('reruns each request of a failed group alone, so one fault fails only its own request', async () => {
      await createOrganization(harness(), 'org_queue_ok');
      await createOrganization(harness(), 'org_queue_fault');
      const { db, catalog } = harness().tollgate.context;
      const debited: string[] = [];
      const queue = createIngestQueue(db, {
        catalog,
        concurrentTransactions: 1,
        async debitCreditsForEvent(_tx, debits: CreditEventDebit[]) {
          if (debits.some((debit) => debit.organizationId === 'org_queue_fault'))
            throw new Error('the ledger refused');
          debited.push(...debits.map((debit) => debit.eventId));
          return [];
        },
      });
      const credit = (organizationId: string, id: string) => ({
        id,
        organization_id: organizationId,
        event: 'ai_inference',
      });
      const [first, faulty, grouped] = await Promise.allSettled([
        queue.ingest([tokens('org_queue_ok', 'f1', 5)], now),
        queue.ingest([credit('org_queue_fault', 'f2'), tokens('org_queue_fault', 'f3', 7)], now),
        queue.ingest([credit('org_queue_ok', 'f4'), tokens('org_queue_ok', 'f5', 20)], now),
      ]);
      expect(first).toEqual({ status: 'fulfilled', value: { accepted: 1, duplicates: 0, rejected: [] } });
      expect(faulty).toMatchObject({ status: 'rejected', reason: { message: 'the ledger refused' } });
      expect(grouped).toEqual({ status: 'fulfilled', value: { accepted: 2, duplicates: 0, rejected: [] } });
      expect(debited).toEqual(['f4']);
      expect((await usageOf(harness(), 'org_queue_ok', 'llm_tokens')).used).toBe(25);
      expect((await usageOf(harness(), 'org_queue_fault', 'llm_tokens')).used).toBe(0);
      const stored = await sqlRows<{ id: string }>(
        harness(),
        `select id from usage_events where organization_id in ('org_queue_ok', 'org_queue_fault') order by id`,
      );
      expect(stored.map((row) => row.id)).toEqual(['f1', 'f4', 'f5']);
    });

    it("places events with the billing state this process's checks remember, and reads the others", async () => {
      await createOrganization(harness(), 'org_remembered');
      await createOrganization(harness(), 'org_read');
      const { db, catalog } = harness().tollgate.context;
      // What a check would remember after the organization moved to a plan whose period began on the
      // 10th; the database still says free (calendar months). Only a remembered state can place the
      // event in the period from the 10th.
      const anniversary: BillingContext = {
        planCode: 'standard',
        status: 'active',
        interval: 'month',
        anchor: new Date('2026-10-10T00:00:00.000Z'),
        currentPeriod: {
          start: new Date('2026-11-10T00:00:00.000Z'),
          end: new Date('2026-12-10T00:00:00.000Z'),
        },
      };
      const queue = createIngestQueue(db, {
        catalog,
        billingStates: {
          rememberedBilling: (organizationId) =>
            organizationId === 'org_remembered' ? { context: anniversary } : undefined,
        },
      });
      const answer = await queue.ingest(
        [tokens('org_remembered', 'r1', 3), tokens('org_read', 'r2', 4), tokens('org_not_there', 'r3', 5)],
        now,
      );
      expect(answer).toEqual({
        accepted: 2,
        duplicates: 0,
        rejected: [
          { index: 2, code: 'organization_not_found', message: 'organization "org_not_there" not found' },
        ],
      });
      const periods = await sqlRows<{ organization_id: string; period_start: string; used: string }>(
        harness(),
        `select organization_id, to_char(period_start at time zone 'UTC', 'YYYY-MM-DD') as period_start,
                used::text as used
         from usage_counters where organization_id in ('org_remembered', 'org_read') and project_id = ''
         order by organization_id`,
      );
      expect(periods).toEqual([
        { organization_id: 'org_read', period_start: '2026-11-01', used: '4' },
        { organization_id: 'org_remembered', period_start: '2026-11-10', used: '3' },
      ]);
    });
  },
  { catalog: meteringTestCatalog, startAt: now.toISOString() },
);
