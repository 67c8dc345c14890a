import { type BillingContext, counterPeriodAt, type Decimal, toDecimal } from '@tollgate/core';
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/transaction.js';
import { type BillingContextRow, toContexts } from './billing-contexts.js';
import { ORGANIZATION_TOTAL } from './counters.js';
import { queryRows } from './query-rows.js';

type Row = BillingContextRow & {
  trial_organization: boolean;
  counter_period_start: Date | string | null;
  counter_used: string | null;
};

/**
 * Everything a check reads, in one round trip: the organization's subscription and its counters for
 * the feature whose period contains `now`. The counter of the period the subscription says is
 * current is then picked; another (e.g. the calendar month left by a plan change) is ignored.
 */
export async function loadCheckState(
  db: DbOrTx,
  organizationId: string,
  feature: { code: string; reset: 'billing_period' | 'never' },
  defaultPlanCode: string,
  now: Date,
): Promise<{ context: BillingContext; used: Decimal; trialOrganization: boolean } | undefined> {
  const rows = await queryRows<Row>(
    db,
    sql`select o.id as organization_id, o.trial_organization, s.plan_code, s.interval, s.status, s.source,
               s.current_period_start, s.current_period_end,
               c.period_start as counter_period_start, c.used::text as counter_used
        from organizations o
        left join lateral (
          select plan_code, interval, status, source, current_period_start, current_period_end
          from subscriptions
          where organization_id = o.id
          order by (status not in ('canceled', 'expired')) desc, created_at desc
          limit 1
        ) s on true
        left join usage_counters c
          on c.organization_id = o.id and c.feature = ${feature.code} and c.project_id = ${ORGANIZATION_TOTAL}
          and c.period_start <= ${now.toISOString()}::timestamptz and c.period_end > ${now.toISOString()}::timestamptz
        where o.id = ${organizationId}`,
  );
  const context = toContexts(rows, defaultPlanCode).get(organizationId);
  if (!context) return undefined;
  const periodStart = counterPeriodAt(feature.reset, context, now).start.getTime();
  const counter = rows.find(
    (row) =>
      row.counter_period_start !== null && new Date(row.counter_period_start).getTime() === periodStart,
  );
  return {
    context,
    used: toDecimal(counter?.counter_used ?? 0),
    trialOrganization: rows[0]?.trial_organization === true,
  };
}
