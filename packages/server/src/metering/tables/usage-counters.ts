import { type Aggregation, type Decimal, decimalText, toDecimal } from '@tollgate/core';
import { type SQL, sql } from 'drizzle-orm';
import type { PreparedStatement } from '../../db/client.js';
import { fixedStatementSql } from '../../db/fixed-statements.js';
import { columnList, fromJsonRows, type JsonRow, jsonRows } from '../../db/json-rows.js';
import { queryRowsThenWrite } from '../../db/query-rows.js';
import type { StatementSession } from '../../db/statement-transaction.js';
import type { DbOrTx } from '../../db/transaction.js';

/**
 * `usage_counters`: one row per organization × feature × period × project, moved in the transaction
 * that stores the usage, so a check reads one row and never scans events. Every statement on the
 * table is here; checks, consumes, ingestion and reads compose them.
 */

/** The organization's total; project rows carry the project id. */
export const ORGANIZATION_TOTAL = '';

export type CounterKey = {
  organizationId: string;
  feature: string;
  periodStart: Date;
  projectId: string;
};

/** A counter as it is created: its key, where its period ends and how it aggregates. */
export type LockableCounter = CounterKey & { periodEnd: Date; aggregation: string };

export type CounterDelta = CounterKey & {
  periodEnd: Date;
  aggregation: Aggregation;
  /** Added for sum, count and unique_count; the new candidate for max and latest. */
  value: Decimal;
  lastEventAt: Date | null;
};

export type CounterAfter = CounterKey & { used: Decimal };

export type CounterWrite = { counter: LockableCounter; value: Decimal; lastEventAt: Date };

export const counterKey = (key: CounterKey) =>
  `${key.organizationId}\u0000${key.feature}\u0000${key.periodStart.getTime()}\u0000${key.projectId}`;

/** The primary key, also the JSON keys of a lookup. */
const KEY_COLUMNS = {
  organization_id: 'text',
  feature: 'text',
  period_start: 'timestamptz',
  project_id: 'text',
} as const;
/** What creating a counter needs besides its usage. */
const CREATE_COLUMNS = { ...KEY_COLUMNS, period_end: 'timestamptz', aggregation: 'text' } as const;
/** A written counter; `used` is the value to set, add or merge. */
const WRITE_COLUMNS = { ...CREATE_COLUMNS, used: 'numeric', last_event_at: 'timestamptz' } as const;
/** A counter with the usage a decision read from it. */
const EXPECTED_COLUMNS = { ...KEY_COLUMNS, used: 'numeric' } as const;

const PRIMARY_KEY = columnList(KEY_COLUMNS);
const matchesKey = (table: string, row: string) =>
  Object.keys(KEY_COLUMNS)
    .map((column) => `${table}."${column}" = ${row}."${column}"`)
    .join(' and ');

const keyRow = (key: CounterKey): JsonRow<typeof KEY_COLUMNS> => ({
  organization_id: key.organizationId,
  feature: key.feature,
  period_start: key.periodStart.toISOString(),
  project_id: key.projectId,
});
const createRow = (counter: LockableCounter): JsonRow<typeof CREATE_COLUMNS> => ({
  ...keyRow(counter),
  period_end: counter.periodEnd.toISOString(),
  aggregation: counter.aggregation,
});
// Written out rather than spread from createRow: ingestion builds one per counter it moves.
const writeRow = (
  counter: LockableCounter,
  used: Decimal,
  lastEventAt: Date | null,
): JsonRow<typeof WRITE_COLUMNS> => ({
  organization_id: counter.organizationId,
  feature: counter.feature,
  period_start: counter.periodStart.toISOString(),
  project_id: counter.projectId,
  period_end: counter.periodEnd.toISOString(),
  aggregation: counter.aggregation,
  used: decimalText(used),
  last_event_at: lastEventAt?.toISOString() ?? null,
});

/** `items` sorted by their counters' keys, each key built once rather than in every comparison. */
function inKeyOrder<T>(items: readonly T[], counterOf: (item: T) => CounterKey): T[] {
  return items
    .map((item) => ({ item, key: counterKey(counterOf(item)) }))
    .sort((a, b) => (a.key < b.key ? -1 : 1))
    .map((entry) => entry.item);
}

type UsageRow = {
  organization_id: string;
  feature: string;
  period_start: Date | string;
  project_id: string;
  used: string;
};
const USAGE_RETURNED = `${PRIMARY_KEY}, used::text as used`;
const toDate = (value: Date | string) => (value instanceof Date ? value : new Date(value));
const counterOfRow = (row: UsageRow): CounterKey => ({
  organizationId: row.organization_id,
  feature: row.feature,
  periodStart: toDate(row.period_start),
  projectId: row.project_id,
});

function usageByCounter(rows: readonly UsageRow[]): Map<string, Decimal> {
  return new Map(rows.map((row) => [counterKey(counterOfRow(row)), toDecimal(row.used)]));
}

/**
 * How an upsert merges a stored value (table alias `alias`) with the incoming one, by the row's own
 * aggregation: max keeps the greatest, latest the value with the newest event, the rest add up.
 * Hourly rollups merge the same way (usage-rollups.ts).
 */
export function mergeByAggregation(alias: 'c' | 'r', column: 'used' | 'value'): string {
  const stored = `${alias}.${column}`;
  const incoming = `excluded.${column}`;
  const storedAt = `${alias}.last_event_at`;
  return `case ${alias}.aggregation
        when 'max' then greatest(${stored}, ${incoming})
        when 'latest' then case
          when ${storedAt} is null or excluded.last_event_at >= ${storedAt} then ${incoming}
          else ${stored} end
        else ${stored} + ${incoming} end`;
}

/** How a counter write moves `used`: `set` replaces it (the caller holds its lock), `add` adds to it, `aggregate` merges by the counter's aggregation. */
export type CounterWriteMode = 'set' | 'add' | 'aggregate';

const USED_AFTER: Record<CounterWriteMode, string> = {
  set: 'excluded.used',
  add: 'c.used + excluded.used',
  aggregate: mergeByAggregation('c', 'used'),
};

/**
 * A statement writing counters, reading its rows (`counterWriteRows`) from the json parameter `rows`
 * and its time from the timestamptz parameter `now`; missing counters are created. An upsert rather
 * than UPDATE … FROM, so that each row is found through the primary key: the planner would otherwise
 * hash-join the whole (and, under constant updates, bloated) counter table.
 */
export function counterWriteText(mode: CounterWriteMode, rows: string, now: string, writer?: string): string {
  return `insert into usage_counters as c (${columnList(WRITE_COLUMNS)}, updated_at)
    select ${columnList(WRITE_COLUMNS, 'd')}, ${now}::timestamptz
    from ${fromJsonRows(WRITE_COLUMNS, rows)}
    ${writer === undefined ? '' : `where ${announceCounterWriter(writer)}`}
    on conflict (${PRIMARY_KEY}) do update
      set used = ${USED_AFTER[mode]}, last_event_at = greatest(c.last_event_at, excluded.last_event_at),
          updated_at = excluded.updated_at`;
}

/**
 * A condition that is always true and, evaluated once before the first row, names the transaction's
 * counter writer (the text parameter `writer`) for the announcement trigger (migration 0014): the
 * process that wrote moves its remembered counters itself and ignores that announcement
 * (check-state-cache.ts). It lasts until the transaction ends.
 */
const announceCounterWriter = (writer: string) =>
  `(select set_config('tollgate.counter_writer', ${writer}, true)) is not null`;

/** The rows of `counterWriteText`, in key order so concurrent batches lock counters in the same order. */
export function counterWriteRows(writes: readonly CounterWrite[]): string {
  return jsonRows(
    WRITE_COLUMNS,
    inKeyOrder(writes, (write) => write.counter).map((write) =>
      writeRow(write.counter, write.value, write.lastEventAt),
    ),
  );
}

/**
 * Ingestion: applies deltas to their counters in one statement, merged by each counter's
 * aggregation, creating missing counters; returns the counters' new values. `writer` names the
 * transaction for the announcement (`announceCounterWriter`). Rows go in key order so
 * concurrent batches lock counters in the same order. `thenWrite` rides in the same round trip as an
 * unreferenced CTE. PostgreSQL runs those after the main statement (the docs leave the order open),
 * so its rows are locked once the counters are; were that ever to change, a deadlock would cost a
 * rerun of the transaction, not a wrong count.
 */
export async function upsertCounters(
  tx: DbOrTx,
  deltas: CounterDelta[],
  now: Date,
  options: { thenWrite?: SQL | undefined; writer?: string | undefined } = {},
): Promise<CounterAfter[]> {
  const { thenWrite, writer } = options;
  if (deltas.length === 0) return queryRowsThenWrite(tx, undefined, thenWrite);
  const rows = jsonRows(
    WRITE_COLUMNS,
    inKeyOrder(deltas, (delta) => delta).map((delta) => writeRow(delta, delta.value, delta.lastEventAt)),
  );
  const upsert = fixedStatementSql(
    `${counterWriteText('aggregate', '$1', '$2', writer === undefined ? undefined : '$3')} returning ${USAGE_RETURNED}`,
    writer === undefined ? [rows, now.toISOString()] : [rows, now.toISOString(), writer],
  );
  const returned = await queryRowsThenWrite<UsageRow>(tx, upsert, thenWrite);
  return returned.map((row) => ({
    organizationId: row.organization_id,
    feature: row.feature,
    periodStart: toDate(row.period_start),
    projectId: row.project_id,
    used: toDecimal(row.used),
  }));
}

/**
 * Locks counters for the rest of the transaction and returns their usage, creating missing ones at
 * zero, in one statement. Rows go in key order, the order ingestion locks them in, so concurrent
 * batches queue instead of deadlocking. The no-op update is what takes the row lock on a conflict.
 */
export async function lockCounters(
  session: StatementSession,
  counters: readonly LockableCounter[],
  now: Date,
): Promise<Map<string, Decimal>> {
  if (counters.length === 0) return new Map();
  const rows = jsonRows(CREATE_COLUMNS, inKeyOrder(counters, (counter) => counter).map(createRow));
  return usageByCounter(await session.run<UsageRow>(LOCK_COUNTERS, [rows, now.toISOString()]));
}

/** Prepared: every consume batch runs it, on PostgreSQL planning it would cost as much as running it. */
const LOCK_COUNTERS: PreparedStatement = {
  name: 'tollgate_lock_counters_v1',
  text: `insert into usage_counters as c (${columnList(CREATE_COLUMNS)}, used, updated_at)
    select ${columnList(CREATE_COLUMNS, 'd')}, 0, $2::timestamptz
    from ${fromJsonRows(CREATE_COLUMNS, '$1')}
    on conflict (${PRIMARY_KEY}) do update set used = c.used
    returning ${USAGE_RETURNED}`,
};

/** The current usage of counters, without locking them (for counters the caller will not move). */
export async function readCounters(
  session: StatementSession,
  counters: readonly CounterKey[],
): Promise<Map<string, Decimal>> {
  if (counters.length === 0) return new Map();
  const rows = jsonRows(KEY_COLUMNS, counters.map(keyRow));
  return usageByCounter(await session.run<UsageRow>(READ_COUNTERS, [rows]));
}

const READ_COUNTERS: PreparedStatement = {
  name: 'tollgate_read_counters_v1',
  text: `select ${columnList(KEY_COLUMNS, 'c')}, c.used::text as used
    from ${fromJsonRows(KEY_COLUMNS, '$1')}
    cross join lateral (select * from usage_counters c where ${matchesKey('c', 'd')} offset 0) c`,
};

/**
 * The rows of `verifyUsageText`: organization counters with the usage a decision read from them, in
 * key order, the order every transaction locks counters in.
 */
export function expectedUsageRows(
  counters: ReadonlyArray<{ counter: LockableCounter; used: Decimal }>,
): string {
  return jsonRows(
    EXPECTED_COLUMNS,
    inKeyOrder(counters, (entry) => entry.counter).map((entry) => ({
      ...keyRow(entry.counter),
      used: decimalText(entry.used),
    })),
  );
}

/**
 * For a WITH clause: locks each counter of the json parameter `rows` (`expectedUsageRows`) that still
 * holds the usage expected of it, one row per such counter. A counter that moved, or is missing, gives
 * no row. Under READ COMMITTED, FOR UPDATE waits for a concurrent writer and then tests the newest
 * version, so a row given here holds that usage until the transaction ends.
 */
export function verifyUsageText(rows: string): string {
  return `select d.organization_id from ${fromJsonRows(EXPECTED_COLUMNS, rows)}
    cross join lateral (
      select 1 from usage_counters c where ${matchesKey('c', 'd')} and c.used = d.used
      for update
    ) c`;
}

/**
 * For the check's read: `LEFT JOIN LATERAL … c` of the organization-wide counter of the feature
 * `feature` (an SQL expression) whose period holds the instant `at`, for the organization aliased
 * `o`; columns `period_start` and `used`. OFFSET 0 keeps the lookup on the primary key.
 */
export function organizationCounterAt(feature: string, at: string): string {
  return `left join lateral (
      select period_start, used from usage_counters
      where organization_id = o.id and feature = ${feature} and project_id = '${ORGANIZATION_TOTAL}'
        and period_start <= ${at} and period_end > ${at}
      offset 0
    ) c on true`;
}

/** A usage report's counter: one of the organization's counters whose period holds the report's instant. */
export type ReportedCounter = { feature: string; project_id: string; period_start: string; used: string };

/**
 * For a usage report: every counter (totals and projects) of the organization aliased `o` whose
 * period holds `at`, as one JSON array of `ReportedCounter`.
 */
export function countersAt(at: Date): SQL {
  const instant = at.toISOString();
  return sql`(select json_agg(json_build_object('feature', c.feature, 'project_id', c.project_id,
                                              'period_start', c.period_start, 'used', c.used::text))
            from usage_counters c
            where c.organization_id = o.id and c.period_start <= ${instant}::timestamptz
              and c.period_end > ${instant}::timestamptz)`;
}
