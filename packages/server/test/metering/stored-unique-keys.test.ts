import { Catalog } from '@tollgate/core';
import { describe, expect, it } from 'vitest';
import { prepareBatch, storeBatches } from '../../src/metering/ingest/ingest-events.js';
import { StoredUniqueKeys } from '../../src/metering/ingest/stored-unique-keys.js';
import { describeEachDatabase } from '../support/harness.js';
import { createOrganization, ingest, sqlRows, usageOf } from './helpers.js';
import { meteringTestCatalog } from './test-catalog.js';

const now = '2026-11-15T12:00:00.000Z';
const catalog = Catalog.from(meteringTestCatalog);

describe('StoredUniqueKeys', () => {
  it('holds two generations: a full one becomes the previous, the one before is dropped', () => {
    const keys = new StoredUniqueKeys(2);
    keys.rememberAll(['a', 'b']);
    expect(keys.has('a') && keys.has('b')).toBe(true);
    keys.rememberAll(['c', 'd']);
    expect([keys.has('a'), keys.has('b'), keys.has('c'), keys.has('d')]).toEqual([false, false, true, true]);
  });

  it('moves a key found in the previous generation to the current one', () => {
    const keys = new StoredUniqueKeys(2);
    keys.rememberAll(['a', 'b']);
    expect(keys.has('a')).toBe(true);
    // 'a', found again, and 'c' fill the current generation, which then replaces the one with 'b'.
    keys.rememberAll(['c']);
    expect([keys.has('a'), keys.has('b'), keys.has('c')]).toEqual([true, false, true]);
  });

  it('remembering N keys in all makes two generations of N / 2', () => {
    const keys = StoredUniqueKeys.remembering(4);
    keys.rememberAll(['a', 'b', 'c']);
    expect(keys.size).toBe(3);
    // 'c' and 'd' fill the second generation of two, which replaces the one with 'a' and 'b'.
    keys.rememberAll(['d']);
    expect(keys.size).toBe(2);
    expect([keys.has('a'), keys.has('b'), keys.has('c'), keys.has('d')]).toEqual([false, false, true, true]);
  });

  it('remembers nothing with a size of 0', () => {
    const keys = new StoredUniqueKeys(0);
    keys.rememberAll(['a']);
    expect(keys.has('a')).toBe(false);
    expect(keys.size).toBe(0);
  });
});

describeEachDatabase(
  'unique_count rows remembered as stored',
  (harness) => {
    const activeUser = (id: string, organizationId: string, user: string, projectId?: string) => ({
      id,
      organization_id: organizationId,
      event: 'active_users',
      properties: { user },
      ...(projectId && { project_id: projectId }),
    });

    it('does not send a value again once its rows are known to be stored', async () => {
      await createOrganization(harness(), 'org_known_values');
      await ingest(harness(), [activeUser('k1', 'org_known_values', 'ann', 'web')]);
      // Break the invariant on purpose to see what the next event sends: a value this process (or its
      // ingest worker, with PostgreSQL) knows is stored is not written again, so the removed rows stay removed.
      await sqlRows(harness(), `delete from usage_unique_values where organization_id = 'org_known_values'`);
      await sqlRows(harness(), `delete from usage_unique_buckets where organization_id = 'org_known_values'`);
      await ingest(harness(), [
        activeUser('k2', 'org_known_values', 'ann', 'web'),
        activeUser('k3', 'org_known_values', 'bob', 'web'),
      ]);
      const stored = await sqlRows<{ value: string }>(
        harness(),
        `select value from usage_unique_values where organization_id = 'org_known_values' order by value, project_id`,
      );
      expect(stored.map((row) => row.value)).toEqual(['bob', 'bob']);
      const buckets = await sqlRows<{ value: string }>(
        harness(),
        `select distinct value from usage_unique_buckets where organization_id = 'org_known_values'`,
      );
      expect(buckets.map((row) => row.value)).toEqual(['bob']);
      expect((await usageOf(harness(), 'org_known_values', 'active_users')).used).toBe(2);
    });

    it('remembers nothing of a transaction that rolled back, so its values count when stored again', async () => {
      await createOrganization(harness(), 'org_rolled_back');
      const known = new StoredUniqueKeys(1000);
      const { db } = harness().tollgate.database;
      const events = [
        activeUser('r1', 'org_rolled_back', 'cat', 'web'),
        { id: 'r2', organization_id: 'org_rolled_back', event: 'ai_inference', quantity: 1 },
      ];
      const failing = {
        catalog,
        storedUniqueKeys: known,
        debitCreditsForEvent: async () => {
          throw new Error('the ledger refused');
        },
      };
      await expect(
        storeBatches(db, [prepareBatch(events, { ...failing, now: new Date(now) })], failing),
      ).rejects.toThrow('the ledger refused');
      expect(known.size).toBe(0);
      const working = { catalog, storedUniqueKeys: known, debitCreditsForEvent: async () => [] };
      const [result] = await storeBatches(
        db,
        [prepareBatch(events, { ...working, now: new Date(now) })],
        working,
      );
      expect(result).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
      expect(known.size).toBe(4);
      expect((await usageOf(harness(), 'org_rolled_back', 'active_users')).used).toBe(1);
    });

    it('counts exactly when batches repeat values that are remembered and values that are not', async () => {
      await createOrganization(harness(), 'org_mixed_values');
      const users = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'];
      for (let round = 0; round < 4; round += 1) {
        const response = await ingest(
          harness(),
          users
            .slice(0, round + 3)
            .map((user, index) =>
              activeUser(`m${round}-${index}`, 'org_mixed_values', user, `p${index % 2}`),
            ),
        );
        expect(response.body.accepted).toBe(round + 3);
      }
      expect((await usageOf(harness(), 'org_mixed_values', 'active_users')).used).toBe(6);
      const report = await harness().request('GET', '/v1/organizations/org_mixed_values/usage');
      const byProject = Object.fromEntries(
        report.body.projects.map(
          (project: { project_id: string; features: { feature: string; used: number }[] }) => [
            project.project_id,
            project.features.find((line) => line.feature === 'active_users')?.used,
          ],
        ),
      );
      // p0 saw u0, u2, u4; p1 saw u1, u3 and u5 (u5 only in the last round, at index 5).
      expect(byProject).toEqual({ p0: 3, p1: 3 });
    });
  },
  { catalog: meteringTestCatalog, startAt: now },
);
