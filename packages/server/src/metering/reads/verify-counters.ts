import { sql } from 'drizzle-orm';
import { queryRows, sqlValueList } from '../../db/query-rows.js';
import type { DbOrTx } from '../../db/transaction.js';

/** A usage counter whose value is not what its events add up to. */
export type CounterDiscrepancy = {
  organization_id: string;
  feature: string;
  project_id: string;
  period_start: string;
  used: string;
  events: string;
};

/**
 * Counters = events, for the aggregations that can be recomputed from stored rows: sum (Σ quantity),
 * count (one per ingested event; a consume — an event id `consume:…` — moves the counter by its
 * quantity) and unique_count (the distinct values recorded for the counter). max and latest gauges
 * are not checked: a gauge's value is its events' too, but not additively, and it is never billed
 * from a sum. One statement, so counters and events are read in one snapshot.
 */
export async function findCounterDiscrepancies(
  db: DbOrTx,
  organizationIds: readonly string[],
): Promise<CounterDiscrepancy[]> {
  if (organizationIds.length === 0) return [];
  const organizations = sqlValueList(organizationIds);
  return queryRows<CounterDiscrepancy>(
    db,
    sql`select c.organization_id, c.feature, c.project_id,
               to_char(c.period_start at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as period_start,
               c.used::text as used, recomputed.total::text as events
        from usage_counters c
        cross join lateral (
          select case c.aggregation
            when 'unique_count' then (
              select count(*)::numeric from usage_unique_values v
              where v.organization_id = c.organization_id and v.feature = c.feature
                and v.period_start = c.period_start and v.project_id = c.project_id)
            else (
              select coalesce(sum(case
                       when c.aggregation = 'count' and e.id not like 'consume:%' then 1
                       else e.quantity end), 0)
              from usage_events e
              where e.organization_id = c.organization_id and e.feature = c.feature
                and e."timestamp" >= c.period_start and e."timestamp" < c.period_end
                and (c.project_id = '' or e.project_id = c.project_id))
          end as total
        ) recomputed
        where c.organization_id in ${organizations}
          and c.aggregation in ('sum', 'count', 'unique_count')
          and c.used <> recomputed.total
        order by 1, 2, 3, 4`,
  );
}
