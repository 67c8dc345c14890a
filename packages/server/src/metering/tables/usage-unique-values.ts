import type { SQL } from 'drizzle-orm';
import { fixedStatementSql } from '../../db/fixed-statements.js';
import { columnList, fromJsonRows, jsonRows } from '../../db/json-rows.js';
import { queryRowsThenWrite } from '../../db/query-rows.js';
import type { DbOrTx } from '../../db/transaction.js';
import type { CounterKey } from './usage-counters.js';

/**
 * `usage_unique_values`: the distinct values a unique_count counter has counted in its period, so a
 * value counts once per counter however often it is sent.
 */

export type UniqueValue = CounterKey & { value: string };

const COLUMNS = {
  organization_id: 'text',
  feature: 'text',
  period_start: 'timestamptz',
  project_id: 'text',
  value: 'text',
} as const;

/**
 * Rows go in in key order, so concurrent batches take the same keys in the same order; PostgreSQL
 * sorts them, which costs less than sorting the rows' JSON in the server.
 */
const INSERT_NEW_VALUES = `insert into usage_unique_values (${columnList(COLUMNS)})
    select ${columnList(COLUMNS, 'd')}
    from ${fromJsonRows(COLUMNS, '$1')}
    order by d.organization_id collate "C", d.feature collate "C", d.period_start, d.project_id collate "C",
      d.value collate "C"
    on conflict do nothing
    returning ${columnList(COLUMNS)}`;

type Row = {
  organization_id: string;
  feature: string;
  period_start: Date | string;
  project_id: string;
  value: string;
};

/**
 * Stores distinct values of unique_count features; returns only the ones not seen before.
 * `thenWrite` rides in the same round trip as an unreferenced CTE (as in `upsertCounters`).
 */
export async function insertUniqueValues(
  tx: DbOrTx,
  values: UniqueValue[],
  thenWrite?: SQL,
): Promise<UniqueValue[]> {
  if (values.length === 0) return queryRowsThenWrite(tx, undefined, thenWrite);
  const rows = jsonRows(
    COLUMNS,
    values.map((value) => ({
      organization_id: value.organizationId,
      feature: value.feature,
      period_start: value.periodStart.toISOString(),
      project_id: value.projectId,
      value: value.value,
    })),
  );
  const insert = fixedStatementSql(INSERT_NEW_VALUES, [rows]);
  const inserted = await queryRowsThenWrite<Row>(tx, insert, thenWrite);
  return inserted.map((row) => ({
    organizationId: row.organization_id,
    feature: row.feature,
    periodStart: row.period_start instanceof Date ? row.period_start : new Date(row.period_start),
    projectId: row.project_id,
    value: row.value,
  }));
}
