import { decimalText, type HourlyRollup } from '@tollgate/core';
import type { SQL } from 'drizzle-orm';
import { fixedStatementSql } from '../../db/fixed-statements.js';
import { mergeByAggregation } from './usage-unique-values.js';

/** The rows of a rollup upsert (`rollupUpsertText`). */
export function rollupRows(rollups: readonly HourlyRollup[]): string {
  const input = rollups.map((rollup) => ({
    o: rollup.organizationId,
    f: rollup.feature,
    h: rollup.hour.toISOString(),
    a: rollup.aggregation,
    v: decimalText(rollup.value),
    l: rollup.lastEventAt.toISOString(),
  }));
  return JSON.stringify(input);
}

/**
 * Merges folded hours into `usage_rollups`, creating missing rows, with the rule the stored row was
 * folded with: sum and count add, max keeps the greatest, latest keeps the value with the newest
 * event (ties: the later write, as counters do). Rows (`rollupRows`, from the json parameter
 * `rows`) go in the order given, which `foldHourlyRollups` makes key order. A CTE of the statement
 * that writes the counters.
 */
export function rollupUpsertText(rows: string): string {
  return `insert into usage_rollups as r (organization_id, feature, hour, aggregation, value, last_event_at)
    select d.o, d.f, d.h, d.a, d.v, d.l
    from json_to_recordset(${rows}::json)
      as d(o text, f text, h timestamptz, a text, v numeric, l timestamptz)
    on conflict (organization_id, feature, hour) do update set
      value = ${mergeByAggregation('r', 'value')},
      last_event_at = greatest(r.last_event_at, excluded.last_event_at)`;
}

/** `rollupUpsertText` as drizzle SQL, for ingestion's counter upsert. */
export function rollupUpsertStatement(rollups: readonly HourlyRollup[]): SQL {
  return fixedStatementSql(rollupUpsertText('$1'), [rollupRows(rollups)]);
}
