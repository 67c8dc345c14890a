import type { Aggregation } from '@tollgate/core';
import { type SQL, sql } from 'drizzle-orm';
import { fixedStatementSql } from '../../db/fixed-statements.js';
import { columnList, fromJsonRows, type JsonRow, jsonRows } from '../../db/json-rows.js';
import { queryRows } from '../../db/query-rows.js';
import type { DbOrTx } from '../../db/transaction.js';

/**
 * `usage_events`: every usage event, stored once per organization and id, forever. Ingestion stores
 * what host apps send; a consume that moved a counter stores its own event, so history, audit and
 * recomputation see it.
 */

/** An event's identity: ids are per organization. */
export const eventKey = (organizationId: string, id: string) => `${organizationId}\u0000${id}`;

const COLUMNS = {
  organization_id: 'text',
  id: 'text',
  event: 'text',
  feature: 'text',
  project_id: 'text',
  user_id: 'text',
  quantity: 'numeric',
  timestamp: 'timestamptz',
  properties: 'jsonb',
} as const;

export type EventRow = JsonRow<typeof COLUMNS>;

/**
 * Left-out fields (undefined is not serialized) read as NULL: a feature the same as the event name, a
 * timestamp equal to the time received ($2), no project, user or properties. A credit event has no
 * feature; it is sent as ''. PostgreSQL sorts the rows into key order (byte order, as the primary key's
 * collation), so that concurrent batches take the key's entries in the same order. The answer is one
 * row: the count, and the new keys only when fewer than all $3 rows were new.
 */
const INSERT_NEW_EVENTS = `with inserted as (
      insert into usage_events (${columnList(COLUMNS)}, received_at)
      select d.organization_id, d.id, d.event, case when d.feature is null then d.event else nullif(d.feature, '') end,
        d.project_id, d.user_id, d.quantity, coalesce(d."timestamp", $2::timestamptz), d.properties, $2::timestamptz
      from ${fromJsonRows(COLUMNS, '$1')}
      order by d.organization_id collate "C", d.id collate "C"
      on conflict (organization_id, id) do nothing
      returning organization_id, id
    )
    select count(*)::int as inserted,
      case when count(*) < $3 then (select json_agg(json_build_array(organization_id, id)) from inserted) end as keys
    from inserted`;

/**
 * One INSERT for a whole batch of rows received at `now`; returns the keys (`eventKey`) of the rows
 * that were new, or `all` when every row was.
 */
export async function insertNewEvents(
  tx: DbOrTx,
  rows: readonly EventRow[],
  now: Date,
): Promise<'all' | Set<string>> {
  const [result] = await queryRows<{ inserted: number; keys: string | [string, string][] | null }>(
    tx,
    fixedStatementSql(INSERT_NEW_EVENTS, [jsonRows(COLUMNS, rows), now.toISOString(), rows.length]),
  );
  if (!result || result.inserted === rows.length) return 'all';
  const keys = typeof result.keys === 'string' ? JSON.parse(result.keys) : (result.keys ?? []);
  return new Set((keys as [string, string][]).map(([organizationId, id]) => eventKey(organizationId, id)));
}

/** The rows of `storeEventsText`. */
export const eventRows = (rows: readonly EventRow[]) => jsonRows(COLUMNS, rows);

/**
 * For a WITH clause: stores events (`eventRows`, from the json parameter `rows`), each received at
 * its own timestamp; an id already stored is left as it is.
 */
export function storeEventsText(rows: string): string {
  return `insert into usage_events (${columnList(COLUMNS)}, received_at)
    select ${columnList(COLUMNS, 'd')}, d."timestamp"
    from ${fromJsonRows(COLUMNS, rows)}
    on conflict do nothing`;
}

/**
 * Whether the stored properties hold a value of `property` that ingestion counts (uniqueValueText):
 * events stored before ingestion rejected objects and arrays may hold one, which it never counted.
 */
const countableIn = (properties: SQL, property: string) =>
  sql`jsonb_typeof(${properties} -> ${property}) in ('string', 'number', 'boolean')`;

const inRange = (organizationId: string, feature: string, from: Date, to: Date, projectId?: string) =>
  sql`organization_id = ${organizationId} and feature = ${feature}
    and "timestamp" >= ${from.toISOString()}::timestamptz and "timestamp" < ${to.toISOString()}::timestamptz
    ${projectId === undefined ? sql`` : sql`and project_id = ${projectId}`}`;

/** How one hour of raw events folds into a rollup value, by aggregation (as `foldHourlyRollups` does). */
const HOUR_VALUE: Record<Exclude<Aggregation, 'unique_count'>, SQL> = {
  sum: sql`sum(quantity)`,
  count: sql`count(*)`,
  max: sql`max(quantity)`,
  latest: sql`(array_agg(quantity order by "timestamp" desc))[1]`,
};

/**
 * For a history read: `(hour, value)` rows of one organization's feature in [from, to), folded from
 * the raw events the way rollups are (for a part-hour no rollup row covers exactly).
 */
export function eventHoursBetween(
  organizationId: string,
  feature: string,
  aggregation: Exclude<Aggregation, 'unique_count'>,
  from: Date,
  to: Date,
  projectId?: string,
): SQL {
  return sql`select date_trunc('hour', "timestamp", 'UTC'), ${HOUR_VALUE[aggregation]}
      from usage_events where ${inRange(organizationId, feature, from, to, projectId)}
      group by 1`;
}

/**
 * For a history read: `(bucket, value)` rows, each counted value of `property` of one organization's
 * feature in [from, to) with its UTC `granularity` bucket, as text by PostgreSQL's `->>`, which gives
 * what ingestion stored (see uniqueValueText).
 */
export function eventValuesBetween(
  organizationId: string,
  feature: string,
  property: string,
  granularity: 'hour' | 'day',
  from: Date,
  to: Date,
  projectId?: string,
): SQL {
  return sql`select date_trunc(${granularity}, "timestamp", 'UTC'), (properties ->> ${property}) collate "C"
      from usage_events
      where ${inRange(organizationId, feature, from, to, projectId)} and ${countableIn(sql`properties`, property)}`;
}

/**
 * For the unique-bucket backfill: every stored event of `feature` with a counted value of `property`,
 * as `(organization_id, feature, granularity, bucket, value)` rows, once per UTC hour and day.
 */
export function eventValuesByBucket(feature: string, property: string): SQL {
  return sql`select distinct e.organization_id, e.feature, g.granularity, date_trunc(g.granularity, e."timestamp", 'UTC'),
        (e.properties ->> ${property}) collate "C"
      from usage_events e cross join (values ('hour'), ('day')) as g (granularity)
      where e.feature = ${feature} and ${countableIn(sql`e.properties`, property)}`;
}
