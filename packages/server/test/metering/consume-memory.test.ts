import { toDecimal } from '@tollgate/core';
import { expect, it } from 'vitest';
import { createConsumeMemory } from '../../src/metering/consume/consume-memory.js';
import type { Harness } from '../support/harness.js';
import { describeEachDatabase } from '../support/harness.js';
import { allowedUsed, consumeTogether, createOrganization, sqlRows, usageOf } from './helpers.js';
import { meteringTestCatalog } from './test-catalog.js';

const eventTotal = async (harness: Harness, organizationId: string) => {
  const [row] = await sqlRows<{ total: string; count: string }>(
    harness,
    `select coalesce(sum(quantity), 0)::text as total, count(*)::text as count
     from usage_events where organization_id = '${organizationId}'`,
  );
  return row;
};

describeEachDatabase(
  'consumes decided on remembered usage',
  (harness) => {
    it('decides a batch on the usage the last one left, in one statement, with the same answers and writes', async () => {
      await createOrganization(harness(), 'org_memory_a');
      await createOrganization(harness(), 'org_memory_b');
      const memory = createConsumeMemory();
      // The free plan allows 5 exports, hard cap. Nothing is remembered yet: decided under lock.
      const first = await consumeTogether(
        harness(),
        [
          { organizationId: 'org_memory_a', quantity: 2, projectId: 'p1' },
          { organizationId: 'org_memory_b', quantity: 1 },
        ],
        memory,
      );
      expect(first.map(allowedUsed)).toEqual([
        [true, 2],
        [true, 1],
      ]);
      expect(memory.batches).toEqual({ fromMemory: 0, changed: 0, underLock: 1 });
      const second = await consumeTogether(
        harness(),
        [
          { organizationId: 'org_memory_a', quantity: 2, projectId: 'p1', idempotencyKey: 'job-1' },
          { organizationId: 'org_memory_a', quantity: 2 },
          { organizationId: 'org_memory_b', quantity: 4 },
          { organizationId: 'org_memory_a', quantity: 1, projectId: 'p2' },
        ],
        memory,
      );
      expect(memory.batches).toEqual({ fromMemory: 1, changed: 0, underLock: 1 });
      expect(second.map(allowedUsed)).toEqual([
        [true, 4],
        [false, 4],
        [true, 5],
        [true, 5],
      ]);
      expect(second[1]).toMatchObject({ reason: 'limit_exceeded', remaining: 1 });
      expect((await usageOf(harness(), 'org_memory_a', 'exports')).used).toBe(5);
      expect((await usageOf(harness(), 'org_memory_b', 'exports')).used).toBe(5);
      expect(await eventTotal(harness(), 'org_memory_a')).toEqual({ total: '5', count: '3' });
      const usage = await harness().request('GET', '/v1/organizations/org_memory_a/usage');
      expect(usage.body.projects).toEqual([
        { project_id: 'p1', features: [{ feature: 'exports', used: 4 }] },
        { project_id: 'p2', features: [{ feature: 'exports', used: 1 }] },
      ]);
      // The key's answer was stored with its claim: a retry replays it, and consumes nothing.
      const retry = await consumeTogether(
        harness(),
        [{ organizationId: 'org_memory_a', quantity: 2, projectId: 'p1', idempotencyKey: 'job-1' }],
        memory,
      );
      expect(retry[0]).toEqual(second[0]);
      expect(await eventTotal(harness(), 'org_memory_a')).toEqual({ total: '5', count: '3' });
    });

    it('writes nothing and decides again under lock when a counter moved behind its back', async () => {
      await createOrganization(harness(), 'org_memory_moved');
      const memory = createConsumeMemory();
      await consumeTogether(harness(), [{ organizationId: 'org_memory_moved', quantity: 1 }], memory);
      // Another process (here: SQL by hand) moves the counter this memory remembers at 1.
      await sqlRows(
        harness(),
        `update usage_counters set used = 4 where organization_id = 'org_memory_moved' and project_id = ''`,
      );
      const answers = await consumeTogether(
        harness(),
        [{ organizationId: 'org_memory_moved', quantity: 2, idempotencyKey: 'after-move' }],
        memory,
      );
      expect(answers.map(allowedUsed)).toEqual([[false, 4]]);
      expect(memory.batches).toEqual({ fromMemory: 0, changed: 1, underLock: 2 });
      expect((await usageOf(harness(), 'org_memory_moved', 'exports')).used).toBe(4);
      // The failed statement stored neither its event nor its key: only the first consume's event is there.
      expect(await eventTotal(harness(), 'org_memory_moved')).toEqual({ total: '1', count: '1' });
      const [stored] = await sqlRows<{ response: { allowed: boolean } | string }>(
        harness(),
        `select response from usage_consumptions where organization_id = 'org_memory_moved'`,
      );
      const response = typeof stored?.response === 'string' ? JSON.parse(stored.response) : stored?.response;
      expect(response).toMatchObject({ allowed: false, used: 4 });
      // Decided under lock, the memory now holds 4: the next batch goes in one statement again.
      expect(
        (await consumeTogether(harness(), [{ organizationId: 'org_memory_moved', quantity: 1 }], memory)).map(
          allowedUsed,
        ),
      ).toEqual([[true, 5]]);
      expect(memory.batches).toEqual({ fromMemory: 1, changed: 1, underLock: 2 });
    });

    it('replays a key stored before, found by the one statement, from under lock', async () => {
      await createOrganization(harness(), 'org_memory_key');
      const memory = createConsumeMemory();
      const first = await consumeTogether(
        harness(),
        [{ organizationId: 'org_memory_key', quantity: 3, idempotencyKey: 'job-7' }],
        memory,
      );
      // The counter is remembered right (3), but the key is not new: the statement refuses the batch.
      const again = await consumeTogether(
        harness(),
        [
          { organizationId: 'org_memory_key', quantity: 3, idempotencyKey: 'job-7' },
          { organizationId: 'org_memory_key', quantity: 1 },
        ],
        memory,
      );
      expect(memory.batches).toEqual({ fromMemory: 0, changed: 1, underLock: 2 });
      expect(again[0]).toEqual(first[0]);
      expect(again.map(allowedUsed)).toEqual([
        [true, 3],
        [true, 4],
      ]);
      expect((await usageOf(harness(), 'org_memory_key', 'exports')).used).toBe(4);
      expect(await eventTotal(harness(), 'org_memory_key')).toEqual({ total: '4', count: '2' });
    });

    it('forgets organizations, and keeps one counter per organization and feature', () => {
      const memory = createConsumeMemory(2);
      memory.remember('org_1', 'exports', 'period-1', toDecimal(1));
      memory.remember('org_1', 'exports', 'period-2', toDecimal(2));
      expect(memory.usage('org_1', 'exports', 'period-1')).toBeUndefined();
      expect(memory.usage('org_1', 'exports', 'period-2')?.toString()).toBe('2');
      memory.remember('org_2', 'exports', 'period-2', toDecimal(5));
      memory.remember('org_1', 'api_calls', 'period-2', toDecimal(7));
      // A third organization pushes out the one remembered longest ago (org_2; org_1 was just refreshed).
      memory.remember('org_3', 'exports', 'period-2', toDecimal(9));
      expect(memory.usage('org_2', 'exports', 'period-2')).toBeUndefined();
      expect(memory.usage('org_1', 'api_calls', 'period-2')?.toString()).toBe('7');
      memory.forget(['org_1']);
      expect(memory.usage('org_1', 'exports', 'period-2')).toBeUndefined();
      expect(memory.usage('org_3', 'exports', 'period-2')?.toString()).toBe('9');
    });
  },
  { catalog: meteringTestCatalog },
);
