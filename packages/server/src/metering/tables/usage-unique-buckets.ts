import { type Catalog, hourOf } from '@tollgate/core';
import { type SQL, sql } from 'drizzle-orm';
import type { DatabaseHandle } from '../../db/client.js';
import { fixedStatementSql } from '../../db/fixed-statements.js';
import { columnList, fromJsonRows, jsonRows } from '../../db/json-rows.js';
import { queryRows } from '../../db/query-rows.js';
import { withTransaction } from '../../db/transaction.js';
import { eventValuesBetween, eventValuesByBucket } from './usage-events.js';

/**
 * `usage_unique_buckets`: each distinct value of a unique_count feature once per UTC hour and day it
 * was seen in, for history reads (counted values do not add across buckets).
 */

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

const COLUMNS = {
  organization_id: 'text',
  feature: 'text',
  granularity: 'text',
  bucket: 'timestamptz',
  value: 'text',
} as const;

/**
 * Stores the buckets' values not stored yet, in key order so that concurrent ingest transactions take
 * the key's entries in the same order. For a WITH clause of the statement that stores the period's
 * distinct values.
 */
export function uniqueBucketsInsertStatement(buckets: readonly UniqueBucket[]): SQL {
  const rows = jsonRows(
    COLUMNS,
    buckets.map((bucket) => ({
      organization_id: bucket.organizationId,
      feature: bucket.feature,
      granularity: bucket.granularity,
      bucket: bucket.bucket.toISOString(),
      value: bucket.value,
    })),
  );
  return fixedStatementSql(
    `insert into usage_unique_buckets (${columnList(COLUMNS)})
    select ${columnList(COLUMNS, 'd')}
    from ${fromJsonRows(COLUMNS, '$1')}
    order by d.organization_id collate "C", d.feature collate "C", d.granularity collate "C", d.bucket,
      d.value collate "C"
    on conflict do nothing`,
    [rows],
  );
}

type BucketQuery = {
  organizationId: string;
  feature: string;
  granularity: Granularity;
  projectId?: string | undefined;
};

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
  const { organizationId, feature, granularity, projectId } = input;
  if (projectId !== undefined) {
    // Buckets are per organization: one project's distinct values come from its events.
    const values = eventValuesBetween(
      organizationId,
      feature,
      uniqueProperty,
      granularity,
      from,
      to,
      projectId,
    );
    return sql`with bucket_values (bucket, value) as (${values})
      select bucket, count(distinct value)::text as value from bucket_values group by 1 order by 1`;
  }
  const wholeBucketsEnd = bucketOf(granularity, to);
  const wholeHoursEnd = hourOf(to);
  const stored = (rowsOf: Granularity, start: Date, end: Date) =>
    sql`select date_trunc(${granularity}, bucket, 'UTC'), value from usage_unique_buckets
      where organization_id = ${organizationId} and feature = ${feature} and granularity = ${rowsOf}
        and bucket >= ${start.toISOString()}::timestamptz and bucket < ${end.toISOString()}::timestamptz`;
  const parts = [stored(granularity, from, wholeBucketsEnd)];
  if (wholeHoursEnd > wholeBucketsEnd) parts.push(stored('hour', wholeBucketsEnd, wholeHoursEnd));
  if (to > wholeHoursEnd) {
    parts.push(eventValuesBetween(organizationId, feature, uniqueProperty, granularity, wholeHoursEnd, to));
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
        await tx.execute(sql`insert into usage_unique_buckets (${sql.raw(columnList(COLUMNS))})
          ${eventValuesByBucket(feature, uniqueProperty)}
          on conflict do nothing`);
        await tx.execute(sql`delete from usage_unique_backfills where feature = ${feature}`);
        await tx.execute(sql`insert into usage_unique_backfills (feature, unique_property, completed_at)
          values (${feature}, ${uniqueProperty}, ${now.toISOString()}::timestamptz)`);
      });
    }
    return features.map(({ feature }) => feature);
  });
}
