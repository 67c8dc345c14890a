import { type Catalog, hourOf } from '@tollgate/core';
import { type SQL, sql } from 'drizzle-orm';
import type { DatabaseHandle } from '../../db/client.js';
import { fixedStatementSql } from '../../db/fixed-statements.js';
import { queryRows } from '../../db/query-rows.js';
import { withTransaction } from '../../db/transaction.js';
import { countedValueOf, type MeteredEvent } from '../ingest/counter-deltas.js';
import { uniqueBucketKey } from '../ingest/stored-unique-keys.js';

/** The buckets history reads; a distinct value is stored once in each bucket it was seen in. */
export type Granularity = 'hour' | 'day';

export const BUCKET_MS: Record<Granularity, number> = { hour: 3_600_000, day: 86_400_000 };

/** The start of the UTC bucket holding `instant`. */
export const bucketOf = (granularity: Granularity, instant: Date) =>
  new Date(Math.floor(instant.getTime() / BUCKET_MS[granularity]) * BUCKET_MS[granularity]);

/** A distinct value of a unique_count feature seen in an organization's UTC hour or day (migration 0007). */
export type UniqueBucket = {
  organizationId: string;
  feature: string;
  granularity: Granularity;
  bucket: Date;
  value: string;
};

/** The hours and days of the values that newly stored events of unique_count features count, each once. */
export function uniqueBucketsOf(events: readonly MeteredEvent[], catalog: Catalog): UniqueBucket[] {
  const buckets = new Map<string, UniqueBucket>();
  for (const event of events) {
    const value = countedValueOf(catalog, event);
    if (value === undefined) continue;
    for (const granularity of ['hour', 'day'] as const) {
      const bucket: UniqueBucket = {
        organizationId: event.organizationId,
        feature: event.feature,
        granularity,
        bucket: bucketOf(granularity, event.timestamp),
        value,
      };
      const key = uniqueBucketKey(bucket);
      if (!buckets.has(key)) buckets.set(key, bucket);
    }
  }
  return [...buckets.values()];
}

/**
 * Stores the buckets' values not stored yet, in key order so that concurrent ingest transactions take
 * the key's entries in the same order. For a WITH clause of the statement that stores the period's
 * distinct values.
 */
export function uniqueBucketsInsertStatement(buckets: readonly UniqueBucket[]): SQL {
  const rows = buckets.map((bucket) => ({
    o: bucket.organizationId,
    f: bucket.feature,
    g: bucket.granularity,
    b: bucket.bucket.toISOString(),
    v: bucket.value,
  }));
  return fixedStatementSql(
    `insert into usage_unique_buckets (organization_id, feature, granularity, bucket, value)
    select d.o, d.f, d.g, d.b, d.v
    from json_to_recordset($1::json) as d(o text, f text, g text, b timestamptz, v text)
    order by d.o collate "C", d.f collate "C", d.g collate "C", d.b, d.v collate "C"
    on conflict do nothing`,
    [JSON.stringify(rows)],
  );
}

/**
 * Whether the stored properties hold a value of `property` that ingestion counts (uniqueValueText):
 * events stored before ingestion rejected objects and arrays may hold one, which it never counted.
 */
const countableIn = (properties: SQL, property: string) =>
  sql`jsonb_typeof(${properties} -> ${property}) in ('string', 'number', 'boolean')`;

type BucketQuery = { organizationId: string; feature: string; granularity: Granularity };

/**
 * The number of distinct values per bucket of a unique_count feature, over [from, to) with `from`
 * bucket-aligned. A `to` inside a bucket would count that whole bucket, so the last, partial one is
 * made of the hours it holds whole and the raw events of its last part-hour (their values as text by
 * PostgreSQL's `->>`, which gives what ingestion stored: see uniqueValueText).
 */
export function bucketsFromUniqueValues(
  input: BucketQuery,
  uniqueProperty: string,
  from: Date,
  to: Date,
): SQL {
  const { organizationId, feature, granularity } = input;
  const wholeBucketsEnd = bucketOf(granularity, to);
  const wholeHoursEnd = hourOf(to);
  const stored = (rowsOf: Granularity, start: Date, end: Date) =>
    sql`select date_trunc(${granularity}, bucket, 'UTC'), value from usage_unique_buckets
      where organization_id = ${organizationId} and feature = ${feature} and granularity = ${rowsOf}
        and bucket >= ${start.toISOString()}::timestamptz and bucket < ${end.toISOString()}::timestamptz`;
  const parts = [stored(granularity, from, wholeBucketsEnd)];
  if (wholeHoursEnd > wholeBucketsEnd) parts.push(stored('hour', wholeBucketsEnd, wholeHoursEnd));
  if (to > wholeHoursEnd) {
    parts.push(sql`select date_trunc(${granularity}, "timestamp", 'UTC'), (properties ->> ${uniqueProperty}) collate "C"
      from usage_events
      where organization_id = ${organizationId} and feature = ${feature}
        and "timestamp" >= ${wholeHoursEnd.toISOString()}::timestamptz and "timestamp" < ${to.toISOString()}::timestamptz
        and ${countableIn(sql`properties`, uniqueProperty)}`);
  }
  return sql`with bucket_values (bucket, value) as (${sql.join(parts, sql` union all `)})
    select bucket, count(distinct value)::text as value from bucket_values group by 1 order by 1`;
}

/** Shared by every Tollgate process on one database, so one process fills a feature's buckets. */
const BACKFILL_LOCK_KEY = 7_400_412_007;

/**
 * Fills `usage_unique_buckets` from the stored events of every unique_count feature of the catalog not
 * yet filled for its current property: after migration 0007 (events stored before it), and again when
 * the catalog makes a feature count another property, whose buckets are then rebuilt from the events.
 * Runs at start, before the server answers; each feature in one transaction, so a failure leaves it to
 * the next start. Events that other processes store meanwhile write their own buckets; the insert skips
 * what is there. Returns the features filled.
 */
export async function backfillUniqueBuckets(
  database: Pick<DatabaseHandle, 'db' | 'withAdvisoryLock'>,
  catalog: Catalog,
  now: Date,
): Promise<string[]> {
  const counted = Object.entries(catalog.definition.features).flatMap(([feature, definition]) =>
    definition.aggregation === 'unique_count' && definition.unique_property
      ? [{ feature, uniqueProperty: definition.unique_property }]
      : [],
  );
  if (counted.length === 0) return [];
  const pending = async () => {
    const done = await queryRows<{ feature: string; unique_property: string }>(
      database.db,
      sql`select feature, unique_property from usage_unique_backfills`,
    );
    const filled = new Set(done.map((row) => `${row.feature}\u0000${row.unique_property}`));
    return counted.filter(({ feature, uniqueProperty }) => !filled.has(`${feature}\u0000${uniqueProperty}`));
  };
  if ((await pending()).length === 0) return [];
  return database.withAdvisoryLock(BACKFILL_LOCK_KEY, async () => {
    // Another process may have filled them while this one waited for the lock.
    const features = await pending();
    for (const { feature, uniqueProperty } of features) {
      await withTransaction(database.db, async (tx) => {
        await tx.execute(sql`delete from usage_unique_buckets where feature = ${feature}`);
        await tx.execute(sql`insert into usage_unique_buckets (organization_id, feature, granularity, bucket, value)
          select distinct e.organization_id, e.feature, g.granularity, date_trunc(g.granularity, e."timestamp", 'UTC'),
            (e.properties ->> ${uniqueProperty}) collate "C"
          from usage_events e cross join (values ('hour'), ('day')) as g (granularity)
          where e.feature = ${feature} and ${countableIn(sql`e.properties`, uniqueProperty)}
          on conflict do nothing`);
        await tx.execute(sql`delete from usage_unique_backfills where feature = ${feature}`);
        await tx.execute(sql`insert into usage_unique_backfills (feature, unique_property, completed_at)
          values (${feature}, ${uniqueProperty}, ${now.toISOString()}::timestamptz)`);
      });
    }
    return features.map(({ feature }) => feature);
  });
}
