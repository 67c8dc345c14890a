import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Aggregation, Catalog, rollsUp } from '@tollgate/core';
import { type SQL, sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { queryRows } from '../../src/db/query-rows.js';
import type { Granularity } from '../../src/metering/reads/usage-history.js';
import { backfillUniqueBuckets } from '../../src/metering/tables/usage-unique-buckets.js';
import { describeEachDatabase, type Harness } from '../support/harness.js';
import { createOrganization, ingest, sqlRows, usageOf } from './helpers.js';
import { meteringTestCatalog } from './test-catalog.js';

const catalog = Catalog.from(meteringTestCatalog);
type Point = { start: string; value: number };

async function history(harness: Harness, organizationId: string, feature: string, query: string) {
  const response = await harness.request(
    'GET',
    `/v1/organizations/${organizationId}/usage/${feature}/history?${query}`,
  );
  if (response.status !== 200) throw new Error(JSON.stringify(response.body));
  return response.body as { from: string; to: string; points: Point[] };
}

/** One value per bucket computed from the raw events: the reference the hourly tables must equal. */
function bucketsFromEvents(
  input: { organizationId: string; feature: string; granularity: Granularity },
  aggregation: Aggregation,
  uniqueProperty: string,
  from: Date,
  to: Date,
): SQL {
  const value = {
    sum: sql`sum(quantity)`,
    count: sql`count(*)`,
    max: sql`max(quantity)`,
    latest: sql`(array_agg(quantity order by "timestamp" desc))[1]`,
    unique_count: sql`count(distinct properties ->> ${uniqueProperty})`,
  }[aggregation];
  return sql`select date_trunc(${input.granularity}, "timestamp", 'UTC') as bucket, (${value})::text as value
    from usage_events
    where organization_id = ${input.organizationId} and feature = ${input.feature}
      and "timestamp" >= ${from.toISOString()}::timestamptz and "timestamp" < ${to.toISOString()}::timestamptz
    group by 1 order by 1`;
}

/** The points the raw-event computation gives over the same range, with the same bucket rules. */
async function historyFromEvents(
  harness: Harness,
  organizationId: string,
  feature: string,
  granularity: Granularity,
  from: Date,
  to: Date,
): Promise<Point[]> {
  const definition = catalog.feature(feature);
  if (!definition) throw new Error(feature);
  const rows = await queryRows<{ bucket: Date | string; value: string }>(
    harness.tollgate.database.db,
    bucketsFromEvents(
      { organizationId, feature, granularity },
      definition.aggregation,
      definition.unique_property ?? '',
      from,
      to,
    ),
  );
  const byBucket = new Map(rows.map((row) => [new Date(row.bucket).getTime(), Number(row.value)]));
  const step = granularity === 'hour' ? 3_600_000 : 86_400_000;
  const gauge = definition.aggregation === 'max' || definition.aggregation === 'latest';
  const points: Point[] = [];
  for (let start = from.getTime(); start < to.getTime(); start += step) {
    const value = byBucket.get(start);
    if (value !== undefined || !gauge)
      points.push({ start: new Date(start).toISOString(), value: value ?? 0 });
  }
  return points;
}

/** An organization's stored (granularity, bucket, value) rows of active_users, in order. */
async function uniqueBucketRows(harness: Harness, organizationId: string) {
  const rows = await sqlRows<{ granularity: string; bucket: Date | string; value: string }>(
    harness,
    `select granularity, bucket, value from usage_unique_buckets
     where organization_id = '${organizationId}' and feature = 'active_users' order by granularity desc, bucket, value`,
  );
  return rows.map((row) => [row.granularity, new Date(row.bucket).toISOString(), row.value]);
}

async function expectSameAsEvents(harness: Harness, organizationId: string, feature: string, query: string) {
  const served = await history(harness, organizationId, feature, query);
  const granularity = new URLSearchParams(query).get('granularity') as Granularity;
  const reference = await historyFromEvents(
    harness,
    organizationId,
    feature,
    granularity,
    new Date(served.from),
    new Date(served.to),
  );
  expect(served.points, `${feature} ${query}`).toEqual(reference);
  return served.points;
}

const FEATURES = ['api_calls', 'logins', 'storage_gb', 'queue_depth', 'active_users'];
const RANGES = [
  'granularity=hour&from=2026-11-14T20:00:00Z&to=2026-11-15T13:00:00Z',
  'granularity=day&from=2026-11-13T00:00:00Z&to=2026-11-16T00:00:00Z',
  // A "to" inside an hour: that part-hour must not take the whole rollup hour.
  'granularity=hour&from=2026-11-15T08:00:00Z&to=2026-11-15T10:30:00Z',
  'granularity=day&from=2026-11-15T00:00:00Z&to=2026-11-15T10:30:00Z',
];

describeEachDatabase(
  'usage history from hourly rollups',
  (harness) => {
    it('equals the raw-event history for every aggregation, with late events and duplicates', async () => {
      await createOrganization(harness(), 'org_rollup');
      const at = (id: string, event: string, quantity: number, timestamp: string, user?: string) => ({
        id,
        organization_id: 'org_rollup',
        event,
        quantity,
        timestamp,
        ...(user && { properties: { user } }),
      });
      const first = [
        at('a1', 'api_calls', 2, '2026-11-15T09:10:00Z'),
        at('a2', 'api_calls', 3, '2026-11-15T09:50:00Z'),
        at('a3', 'api_calls', 4, '2026-11-15T11:05:00Z'),
        at('l1', 'logins', 1, '2026-11-15T09:01:00Z'),
        at('l2', 'logins', 7, '2026-11-15T09:02:00Z'),
        at('s1', 'storage_gb', 5, '2026-11-15T09:20:00Z'),
        at('s2', 'storage_gb', 3, '2026-11-15T09:40:00Z'),
        at('s3', 'storage_gb', 2, '2026-11-15T11:00:00Z'),
        at('q1', 'queue_depth', 40, '2026-11-15T09:15:00Z'),
        at('q2', 'queue_depth', 10, '2026-11-15T09:45:00Z'),
        at('q3', 'queue_depth', 25, '2026-11-15T11:20:00Z'),
        at('u1', 'active_users', 1, '2026-11-15T09:00:00Z', 'ann'),
        at('u2', 'active_users', 1, '2026-11-15T10:00:00Z', 'ann'),
        at('u3', 'active_users', 1, '2026-11-15T10:10:00Z', 'bob'),
      ];
      expect((await ingest(harness(), first)).body).toMatchObject({ accepted: first.length, duplicates: 0 });
      const late = [
        // Sent again with other quantities: duplicates, never counted twice.
        at('a1', 'api_calls', 100, '2026-11-15T09:10:00Z'),
        at('s1', 'storage_gb', 100, '2026-11-15T09:20:00Z'),
        at('q2', 'queue_depth', 100, '2026-11-15T09:45:00Z'),
        // Late: hours back, into hours already rolled up, and into the day before.
        at('a4', 'api_calls', 5, '2026-11-15T09:30:00Z'),
        at('a5', 'api_calls', 6, '2026-11-14T22:15:00Z'),
        at('a5', 'api_calls', 6, '2026-11-14T22:15:00Z'),
        at('l3', 'logins', 9, '2026-11-15T09:59:00Z'),
        at('s4', 'storage_gb', 8, '2026-11-15T09:05:00Z'),
        at('s5', 'storage_gb', 1, '2026-11-15T10:25:00Z'),
        // Older than q2 in the same hour: latest keeps q2's value.
        at('q4', 'queue_depth', 70, '2026-11-15T09:30:00Z'),
        at('q5', 'queue_depth', 15, '2026-11-14T23:59:00Z'),
        at('u4', 'active_users', 1, '2026-11-15T09:30:00Z', 'bob'),
      ];
      const lateAnswer = await ingest(harness(), late);
      expect(lateAnswer.body).toMatchObject({ accepted: 8, duplicates: 4 });
      // Now-stamped (12:00) events in a later batch, on top of the rows above.
      await ingest(harness(), [
        { id: 'a6', organization_id: 'org_rollup', event: 'api_calls', quantity: 1 },
        { id: 'q6', organization_id: 'org_rollup', event: 'queue_depth', quantity: 3 },
      ]);
      for (const feature of FEATURES) {
        for (const range of RANGES) await expectSameAsEvents(harness(), 'org_rollup', feature, range);
      }
      // The values themselves, so agreeing on a wrong answer cannot pass.
      const hours = (points: Point[]) => points.filter((point) => point.value !== 0);
      const calls = await history(harness(), 'org_rollup', 'api_calls', RANGES[0] as string);
      expect(hours(calls.points)).toEqual([
        { start: '2026-11-14T22:00:00.000Z', value: 6 },
        { start: '2026-11-15T09:00:00.000Z', value: 10 },
        { start: '2026-11-15T11:00:00.000Z', value: 4 },
        { start: '2026-11-15T12:00:00.000Z', value: 1 },
      ]);
      const days = await history(harness(), 'org_rollup', 'api_calls', RANGES[1] as string);
      expect(days.points.map((point) => point.value)).toEqual([0, 6, 15]);
      expect((await history(harness(), 'org_rollup', 'logins', RANGES[0] as string)).points).toContainEqual({
        start: '2026-11-15T09:00:00.000Z',
        value: 3,
      });
      expect((await history(harness(), 'org_rollup', 'storage_gb', RANGES[0] as string)).points).toEqual([
        { start: '2026-11-15T09:00:00.000Z', value: 8 },
        { start: '2026-11-15T10:00:00.000Z', value: 1 },
        { start: '2026-11-15T11:00:00.000Z', value: 2 },
      ]);
      expect((await history(harness(), 'org_rollup', 'storage_gb', RANGES[1] as string)).points).toEqual([
        { start: '2026-11-15T00:00:00.000Z', value: 8 },
      ]);
      expect((await history(harness(), 'org_rollup', 'queue_depth', RANGES[0] as string)).points).toEqual([
        { start: '2026-11-14T23:00:00.000Z', value: 15 },
        { start: '2026-11-15T09:00:00.000Z', value: 10 },
        { start: '2026-11-15T11:00:00.000Z', value: 25 },
        { start: '2026-11-15T12:00:00.000Z', value: 3 },
      ]);
      expect((await history(harness(), 'org_rollup', 'queue_depth', RANGES[1] as string)).points).toEqual([
        { start: '2026-11-14T00:00:00.000Z', value: 15 },
        { start: '2026-11-15T00:00:00.000Z', value: 3 },
      ]);
      // Distinct users do not add across hours: ann and bob on the 15th are 2, not 3.
      const users = await history(harness(), 'org_rollup', 'active_users', RANGES[1] as string);
      expect(users.points.map((point) => point.value)).toEqual([0, 0, 2]);
      // The rollup rows themselves: one per hour, none for unique_count.
      const rows = await sqlRows<{ feature: string; hour: Date | string; value: string }>(
        harness(),
        `select feature, hour, value::text as value from usage_rollups
         where organization_id = 'org_rollup' and feature = 'api_calls' order by hour`,
      );
      expect(rows.map((row) => [new Date(row.hour).toISOString(), Number(row.value)])).toEqual([
        ['2026-11-14T22:00:00.000Z', 6],
        ['2026-11-15T09:00:00.000Z', 10],
        ['2026-11-15T11:00:00.000Z', 4],
        ['2026-11-15T12:00:00.000Z', 1],
      ]);
      const unique = await sqlRows(
        harness(),
        `select 1 from usage_rollups where organization_id = 'org_rollup' and feature = 'active_users'`,
      );
      expect(unique).toEqual([]);
      expect(
        FEATURES.filter((feature) => rollsUp(catalog.feature(feature)?.aggregation ?? 'sum')),
      ).toHaveLength(4);
      // unique_count has its distinct values per hour and per day instead, each once (bob's late u4 included).
      expect(await uniqueBucketRows(harness(), 'org_rollup')).toEqual([
        ['hour', '2026-11-15T09:00:00.000Z', 'ann'],
        ['hour', '2026-11-15T09:00:00.000Z', 'bob'],
        ['hour', '2026-11-15T10:00:00.000Z', 'ann'],
        ['hour', '2026-11-15T10:00:00.000Z', 'bob'],
        ['day', '2026-11-15T00:00:00.000Z', 'ann'],
        ['day', '2026-11-15T00:00:00.000Z', 'bob'],
      ]);
    });

    it('fills the buckets of unique_count events stored before them, once per feature and property', async () => {
      await createOrganization(harness(), 'org_unique_backfill');
      const event = (id: string, timestamp: string, user: string, team: string) => ({
        id,
        organization_id: 'org_unique_backfill',
        event: 'active_users',
        timestamp,
        properties: { user, team },
      });
      await ingest(harness(), [
        event('b1', '2026-11-15T09:05:00Z', 'ann', 'red'),
        event('b2', '2026-11-15T09:40:00Z', 'bob', 'red'),
        event('b3', '2026-11-15T10:15:00Z', 'ann', 'blue'),
        event('b4', '2026-11-15T10:50:00Z', 'cat', 'blue'),
      ]);
      const range = 'granularity=hour&from=2026-11-15T09:00:00Z&to=2026-11-15T11:00:00Z';
      expect((await history(harness(), 'org_unique_backfill', 'active_users', range)).points).toEqual([
        { start: '2026-11-15T09:00:00.000Z', value: 2 },
        { start: '2026-11-15T10:00:00.000Z', value: 2 },
      ]);
      // As a database from before migration 0007: the events, but neither their buckets nor the record.
      const { database } = harness().tollgate;
      await sqlRows(
        harness(),
        `delete from usage_unique_buckets where organization_id = 'org_unique_backfill'`,
      );
      await sqlRows(harness(), 'delete from usage_unique_backfills');
      // History reads the buckets, not the events: nothing until they are filled in.
      expect(
        (await history(harness(), 'org_unique_backfill', 'active_users', range)).points.map(
          (point) => point.value,
        ),
      ).toEqual([0, 0]);
      const now = new Date('2026-11-15T12:00:00Z');
      expect(await backfillUniqueBuckets(database, catalog, now)).toEqual(['active_users']);
      const wholeDay = 'granularity=day&from=2026-11-15T00:00:00Z&to=2026-11-16T00:00:00Z';
      // Part of a day: its whole hours from their rows, then 10:00 – 10:30 from the raw events.
      const partDay = 'granularity=day&from=2026-11-15T00:00:00Z&to=2026-11-15T10:30:00Z';
      const partHour = 'granularity=hour&from=2026-11-15T09:00:00Z&to=2026-11-15T10:30:00Z';
      const values = async (query: string) =>
        (await expectSameAsEvents(harness(), 'org_unique_backfill', 'active_users', query)).map(
          (point) => point.value,
        );
      expect(await values(range)).toEqual([2, 2]);
      expect(await values(wholeDay)).toEqual([3]);
      expect(await values(partDay)).toEqual([2]);
      expect(await values(partHour)).toEqual([2, 1]);
      expect(await uniqueBucketRows(harness(), 'org_unique_backfill')).toEqual([
        ['hour', '2026-11-15T09:00:00.000Z', 'ann'],
        ['hour', '2026-11-15T09:00:00.000Z', 'bob'],
        ['hour', '2026-11-15T10:00:00.000Z', 'ann'],
        ['hour', '2026-11-15T10:00:00.000Z', 'cat'],
        ['day', '2026-11-15T00:00:00.000Z', 'ann'],
        ['day', '2026-11-15T00:00:00.000Z', 'bob'],
        ['day', '2026-11-15T00:00:00.000Z', 'cat'],
      ]);
      // Filled once: a second start has nothing to do.
      expect(await backfillUniqueBuckets(database, catalog, now)).toEqual([]);
      // A catalog that counts another property rebuilds the feature's buckets from the events.
      const byTeam = Catalog.from({
        ...meteringTestCatalog,
        features: {
          ...meteringTestCatalog.features,
          active_users: { name: 'Active teams', aggregation: 'unique_count', unique_property: 'team' },
        },
      });
      expect(await backfillUniqueBuckets(database, byTeam, now)).toEqual(['active_users']);
      expect(await uniqueBucketRows(harness(), 'org_unique_backfill')).toEqual([
        ['hour', '2026-11-15T09:00:00.000Z', 'red'],
        ['hour', '2026-11-15T10:00:00.000Z', 'blue'],
        ['day', '2026-11-15T00:00:00.000Z', 'blue'],
        ['day', '2026-11-15T00:00:00.000Z', 'red'],
      ]);
      expect(await sqlRows(harness(), 'select feature, unique_property from usage_unique_backfills')).toEqual(
        [{ feature: 'active_users', unique_property: 'team' }],
      );
      // Back to counting users, as the rest of this file does.
      expect(await backfillUniqueBuckets(database, catalog, now)).toEqual(['active_users']);
      expect(await uniqueBucketRows(harness(), 'org_unique_backfill')).toHaveLength(7);
    });

    it('counts a number as one text in the counter, its buckets, a part-hour of raw events and the backfill', async () => {
      await createOrganization(harness(), 'org_unique_numbers');
      const event = (id: string, timestamp: string, user: unknown) => ({
        id,
        organization_id: 'org_unique_numbers',
        event: 'active_users',
        timestamp,
        properties: { user },
      });
      const response = await ingest(harness(), [
        event('n1', '2026-11-15T09:10:00Z', 1e-7),
        event('n2', '2026-11-15T09:20:00Z', 1e21),
        // The same text as 1e-7 in PostgreSQL and in ingestion: one value.
        event('n3', '2026-11-15T10:10:00Z', '0.0000001'),
        event('n4', '2026-11-15T10:20:00Z', 1e21),
        event('n5', '2026-11-15T10:25:00Z', true),
        event('n6', '2026-11-15T10:05:00Z', 7),
        event('n7', '2026-11-15T10:06:00Z', { id: 'ann' }),
        event('n8', '2026-11-15T10:07:00Z', ['ann']),
      ]);
      expect(response.status).toBe(200);
      expect(response.body.accepted).toBe(6);
      expect(response.body.rejected.map((rejection: { index: number; code: string }) => rejection)).toEqual([
        expect.objectContaining({ index: 6, code: 'invalid_unique_property' }),
        expect.objectContaining({ index: 7, code: 'invalid_unique_property' }),
      ]);
      expect(response.body.rejected[0].message).toContain('properties.user');
      expect((await usageOf(harness(), 'org_unique_numbers', 'active_users')).used).toBe(4);
      const values = async (query: string) =>
        (await expectSameAsEvents(harness(), 'org_unique_numbers', 'active_users', query)).map(
          (point) => point.value,
        );
      // 09:00 from its stored rows, 10:00 – 10:30 from the raw events: the same texts, so 4 and not 6.
      expect(await values('granularity=day&from=2026-11-15T00:00:00Z&to=2026-11-15T10:30:00Z')).toEqual([4]);
      expect(await values('granularity=hour&from=2026-11-15T09:00:00Z&to=2026-11-15T10:30:00Z')).toEqual([
        2, 4,
      ]);
      const stored = await uniqueBucketRows(harness(), 'org_unique_numbers');
      expect(stored.filter(([granularity]) => granularity === 'day').map(([, , value]) => value)).toEqual([
        '0.0000001',
        '1000000000000000000000',
        '7',
        'true',
      ]);
      await sqlRows(harness(), 'delete from usage_unique_backfills');
      await backfillUniqueBuckets(harness().tollgate.database, catalog, new Date('2026-11-15T12:00:00Z'));
      expect(await uniqueBucketRows(harness(), 'org_unique_numbers')).toEqual(stored);
    });

    it('counts consumes in the hour they were allowed, and not the denied or repeated ones', async () => {
      await createOrganization(harness(), 'org_rollup_consume');
      const consume = (feature: string, quantity: number, key: string) =>
        harness().request('POST', '/v1/check', {
          body: {
            organization_id: 'org_rollup_consume',
            feature,
            quantity,
            consume: true,
            idempotency_key: key,
          },
        });
      const start = harness().clock.now;
      try {
        harness().clock.set('2026-11-15T10:20:00Z');
        expect((await consume('exports', 2, 'e1')).body.allowed).toBe(true);
        expect((await consume('logins', 4, 'g1')).body.allowed).toBe(true);
        harness().clock.set('2026-11-15T11:40:00Z');
        expect((await consume('exports', 1, 'e2')).body.allowed).toBe(true);
        expect((await consume('exports', 1, 'e2')).body.allowed).toBe(true);
        // Beyond the hard cap of 5: denied, so not usage.
        expect((await consume('exports', 9, 'e3')).body.allowed).toBe(false);
        expect((await consume('logins', 6, 'g2')).body.allowed).toBe(true);
        await ingest(harness(), [
          { id: 'x1', organization_id: 'org_rollup_consume', event: 'exports', quantity: 1 },
          { id: 'g3', organization_id: 'org_rollup_consume', event: 'logins', quantity: 2 },
        ]);
      } finally {
        harness().clock.set(start);
      }
      const range = 'granularity=hour&from=2026-11-15T10:00:00Z&to=2026-11-15T12:00:00Z';
      expect(
        (await expectSameAsEvents(harness(), 'org_rollup_consume', 'exports', range)).map(
          (point) => point.value,
        ),
      ).toEqual([2, 2]);
      // count counts events: a consume of 4 logins is one event.
      expect(
        (await expectSameAsEvents(harness(), 'org_rollup_consume', 'logins', range)).map(
          (point) => point.value,
        ),
      ).toEqual([1, 2]);
      const day = 'granularity=day&from=2026-11-15T00:00:00Z&to=2026-11-16T00:00:00Z';
      expect(
        (await expectSameAsEvents(harness(), 'org_rollup_consume', 'exports', day)).map(
          (point) => point.value,
        ),
      ).toEqual([4]);
    });

    it("rebuilds the same rollups from stored events with the migration's backfill", async () => {
      const migration = readFileSync(
        fileURLToPath(new URL('../../migrations/0003_usage_rollups.sql', import.meta.url)),
        'utf8',
      );
      const backfill = migration.split('--> statement-breakpoint')[1] as string;
      const before = await sqlRows(harness(), 'select * from usage_rollups order by 1, 2, 3');
      expect(before.length).toBeGreaterThan(10);
      await sqlRows(harness(), 'delete from usage_rollups');
      await sqlRows(harness(), backfill);
      expect(await sqlRows(harness(), 'select * from usage_rollups order by 1, 2, 3')).toEqual(before);
    });
  },
  { catalog: meteringTestCatalog },
);
