import { decimalText, type HourlyRollup } from '@tollgate/core';
import { type SQL, sql } from 'drizzle-orm';
import { mergeByAggregation } from './counters.js';

/**
 * Merges folded hours into `usage_rollups`, creating missing rows, with the rule the stored row was
 * folded with: sum and count add, max keeps the greatest, latest keeps the value with the newest
 * event (ties: the later write, as counters do). Rows go in the order given, which
 * `foldHourlyRollups` makes key order. A CTE of the statement that writes the counters.
 */
export function rollupUpsertStatement(rollups: readonly HourlyRollup[]): SQL {
  const input = rollups.map((rollup) => ({
    o: rollup.organizationId,
    f: rollup.feature,
    h: rollup.hour.toISOString(),
    a: rollup.aggregation,
    v: decimalText(rollup.value),
    l: rollup.lastEventAt.toISOString(),
  }));
  return sql`insert into usage_rollups as r (organization_id, feature, hour, aggregation, value, last_event_at)
    select d.o, d.f, d.h, d.a, d.v, d.l
    from json_to_recordset(${JSON.stringify(input)}::json)
      as d(o text, f text, h timestamptz, a text, v numeric, l timestamptz)
    on conflict (organization_id, feature, hour) do update set
      value = ${mergeByAggregation('r', 'value')},
      last_event_at = greatest(r.last_event_at, excluded.last_event_at)`;
}
