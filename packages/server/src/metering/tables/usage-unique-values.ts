import { type Aggregation, type Decimal, decimalText, toDecimal } from '@tollgate/core';
import { type SQL, sql } from 'drizzle-orm';
import { queryRows } from '../../db/query-rows.js';
import type { DbOrTx } from '../../db/transaction.js';

/** The organization's total; project rows carry the project id. */
export const ORGANIZATION_TOTAL = '';

export type CounterKey = {
  organizationId: string;
  feature: string;
  periodStart: Date;
  projectId: string;
};

export type CounterDelta = CounterKey & {
  periodEnd: Date;
  aggregation: Aggregation;
  /** Added for sum, count and unique_count; the new candidate for max and latest. */
  value: Decimal;
  lastEventAt: Date | null;
};

export type CounterAfter = CounterKey & { used: Decimal };

export const counterKey = (key: CounterKey) =>
  `${key.organizationId}\u0000${key.feature}\u0000${key.periodStart.getTime()}\u0000${key.projectId}`;

type UpsertRow = {
  organization_id: string;
  feature: string;
  period_start: Date | string;
  project_id: string;
  used: string;
};

/**
 * Applies deltas to their counters in one statement, creating missing counters. Rows go in key
 * order so concurrent batches lock counters in the same order. Returns the counters' new values.
 * `thenWrite` rides in the same round trip as an unreferenced CTE. PostgreSQL runs those after the
 * main statement (the docs leave the order open), so its rows are locked once the counters are; were
 * that ever to change, a deadlock would cost a rerun of the transaction, not a wrong count.
 */
export async function upsertCounters(
  tx: DbOrTx,
  deltas: CounterDelta[],
  now: Date,
  thenWrite?: SQL,
): Promise<CounterAfter[]> {
  if (deltas.length === 0) {
    if (thenWrite) await tx.execute(thenWrite);
    return [];
  }
  const input = deltas
    .map((delta) => ({ delta, key: counterKey(delta) }))
    .sort((a, b) => (a.key < b.key ? -1 : 1))
    .map(({ delta }) => ({
      o: delta.organizationId,
      f: delta.feature,
      ps: delta.periodStart.toISOString(),
      p: delta.projectId,
      pe: delta.periodEnd.toISOString(),
      a: delta.aggregation,
      u: decimalText(delta.value),
      l: delta.lastEventAt?.toISOString() ?? null,
    }));
  const rows = await queryRows<UpsertRow>(
    tx,
    sql`${thenWrite ? sql`with then_write as (${thenWrite})` : sql``}
    insert into usage_counters as c
      (organization_id, feature, period_start, project_id, period_end, aggregation, used, last_event_at, updated_at)
    select d.o, d.f, d.ps, d.p, d.pe, d.a, d.u, d.l, ${now.toISOString()}::timestamptz
    from json_to_recordset(${JSON.stringify(input)}::json)
      as d(o text, f text, ps timestamptz, p text, pe timestamptz, a text, u numeric, l timestamptz)
    on conflict (organization_id, feature, period_start, project_id) do update set
      used = ${sql.raw(mergeByAggregation('c', 'used'))},
      last_event_at = greatest(c.last_event_at, excluded.last_event_at),
      updated_at = excluded.updated_at
    returning organization_id, feature, period_start, project_id, used`,
  );
  return rows.map((row) => ({
    organizationId: row.organization_id,
    feature: row.feature,
    periodStart: row.period_start instanceof Date ? row.period_start : new Date(row.period_start),
    projectId: row.project_id,
    used: toDecimal(row.used),
  }));
}

/**
 * How an upsert merges a stored value (table alias `alias`) with the incoming one, by the row's own
 * aggregation: max keeps the greatest, latest the value with the newest event, the rest add up.
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

export type UniqueValue = CounterKey & { value: string };

/**
 * Stores distinct values of unique_count features; returns only the ones not seen before. Rows go in
 * in key order, so concurrent batches take the same keys in the same order; PostgreSQL sorts them,
 * which costs less than sorting the rows' JSON in the server. `thenWrite` rides in the
 * same round trip as an unreferenced CTE (as in `upsertCounters`).
 */
export async function insertUniqueValues(
  tx: DbOrTx,
  values: UniqueValue[],
  thenWrite?: SQL,
): Promise<UniqueValue[]> {
  if (values.length === 0) {
    if (thenWrite) await tx.execute(thenWrite);
    return [];
  }
  const input = values.map((value) => ({
    o: value.organizationId,
    f: value.feature,
    ps: value.periodStart.toISOString(),
    p: value.projectId,
    v: value.value,
  }));
  const rows = await queryRows<{
    organization_id: string;
    feature: string;
    period_start: Date | string;
    project_id: string;
    value: string;
  }>(
    tx,
    sql`${thenWrite ? sql`with then_write as (${thenWrite})` : sql``}
    insert into usage_unique_values (organization_id, feature, period_start, project_id, value)
    select d.o, d.f, d.ps, d.p, d.v
    from json_to_recordset(${JSON.stringify(input)}::json) as d(o text, f text, ps timestamptz, p text, v text)
    order by d.o collate "C", d.f collate "C", d.ps, d.p collate "C", d.v collate "C"
    on conflict do nothing
    returning organization_id, feature, period_start, project_id, value`,
  );
  return rows.map((row) => ({
    organizationId: row.organization_id,
    feature: row.feature,
    periodStart: row.period_start instanceof Date ? row.period_start : new Date(row.period_start),
    projectId: row.project_id,
    value: row.value,
  }));
}
