import { type Aggregation, decimalText, HOUR_MS, type HourlyRollup, hourOf } from '@tollgate/core';
import { type SQL, sql } from 'drizzle-orm';
import { fixedStatementSql } from '../../db/fixed-statements.js';
import { columnList, fromJsonRows, jsonRows } from '../../db/json-rows.js';
import { mergeByAggregation } from './usage-counters.js';
import { eventHoursBetween } from './usage-events.js';
import type { Granularity } from './usage-unique-buckets.js';

/** `usage_rollups`: each feature's usage per organization and UTC hour, for history reads. */

const COLUMNS = {
  organization_id: 'text',
  feature: 'text',
  hour: 'timestamptz',
  aggregation: 'text',
  value: 'numeric',
  last_event_at: 'timestamptz',
} as const;

/** The rows of a rollup upsert (`rollupUpsertText`). */
export function rollupRows(rollups: readonly HourlyRollup[]): string {
  return jsonRows(
    COLUMNS,
    rollups.map((rollup) => ({
      organization_id: rollup.organizationId,
      feature: rollup.feature,
      hour: rollup.hour.toISOString(),
      aggregation: rollup.aggregation,
      value: decimalText(rollup.value),
      last_event_at: rollup.lastEventAt.toISOString(),
    })),
  );
}

/**
 * Merges folded hours into `usage_rollups`, creating missing rows, with the rule the stored row was
 * folded with: sum and count add, max keeps the greatest, latest keeps the value with the newest
 * event (ties: the later write, as counters do). Rows (`rollupRows`, from the json parameter
 * `rows`) go in the order given, which `foldHourlyRollups` makes key order. A CTE of the statement
 * that writes the counters.
 */
export function rollupUpsertText(rows: string): string {
  return `insert into usage_rollups as r (${columnList(COLUMNS)})
    select ${columnList(COLUMNS, 'd')}
    from ${fromJsonRows(COLUMNS, rows)}
    on conflict (organization_id, feature, hour) do update set
      value = ${mergeByAggregation('r', 'value')},
      last_event_at = greatest(r.last_event_at, excluded.last_event_at)`;
}

/** `rollupUpsertText` as drizzle SQL, for ingestion's counter upsert. */
export function rollupUpsertStatement(rollups: readonly HourlyRollup[]): SQL {
  return fixedStatementSql(rollupUpsertText('$1'), [rollupRows(rollups)]);
}

/** With `projectId`, one project's usage: rollups are per organization, so it is read from its events. */
export type BucketQuery = {
  organizationId: string;
  feature: string;
  granularity: Granularity;
  projectId?: string | undefined;
};

/**
 * One value per bucket from the hourly rollups: days add their hours (sum, count), take the greatest
 * (max) or the newest hour (latest). `from` is bucket-aligned; a `to` inside an hour would take a whole
 * rollup hour too many, so that last part-hour is folded from its raw events instead.
 */
export function bucketsFromRollups(
  input: BucketQuery,
  aggregation: Exclude<Aggregation, 'unique_count'>,
  from: Date,
  to: Date,
): SQL {
  const wholeHoursEnd = hourOf(to);
  const partHour = to.getTime() % HOUR_MS !== 0;
  const bucketValue = {
    sum: sql`sum(value)`,
    count: sql`sum(value)`,
    max: sql`max(value)`,
    latest: sql`(array_agg(value order by hour desc))[1]`,
  }[aggregation];
  const tail = partHour
    ? sql`union all ${eventHoursBetween(input.organizationId, input.feature, aggregation, wholeHoursEnd, to)}`
    : sql``;
  const { organizationId, feature, projectId } = input;
  if (projectId !== undefined) {
    return sql`with hours (hour, value) as (${eventHoursBetween(organizationId, feature, aggregation, from, to, projectId)})
      select date_trunc(${input.granularity}, hour, 'UTC') as bucket, (${bucketValue})::text as value
      from hours group by 1 order by 1`;
  }
  return sql`with hours (hour, value) as (
      select hour, value from usage_rollups
      where organization_id = ${input.organizationId} and feature = ${input.feature}
        and hour >= ${from.toISOString()}::timestamptz and hour < ${wholeHoursEnd.toISOString()}::timestamptz
      ${tail}
    )
    select date_trunc(${input.granularity}, hour, 'UTC') as bucket, (${bucketValue})::text as value
    from hours group by 1 order by 1`;
}
