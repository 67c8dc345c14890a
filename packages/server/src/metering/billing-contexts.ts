import type { BillingContext, Catalog, SubscriptionStatus } from '@tollgate/core';
import { sql } from 'drizzle-orm';
import { queryRows } from '../db/query-rows.js';
import type { DbOrTx } from '../db/transaction.js';

export type BillingContextRow = {
  organization_id: string;
  plan_code: string | null;
  interval: 'month' | 'year' | null;
  status: SubscriptionStatus | null;
  source: 'default' | 'manual' | 'stripe' | null;
  current_period_start: Date | string | null;
  current_period_end: Date | string | null;
  billing_cycle_anchor: Date | string | null;
  catalog_hash: string | null;
};

/** What turns a subscription row into the plan it is on: the catalog, with its earlier plan versions. */
export type PlanResolver = Pick<Catalog, 'defaultPlanCode' | 'effectivePlanCode'>;

const toDate = (value: Date | string) => (value instanceof Date ? value : new Date(value));

/**
 * `LEFT JOIN LATERAL … s` of the organization aliased `o`: its live subscription, or its most recent
 * one when none is live (then the status says it is inactive). Select `s.*` columns as in BillingContextRow.
 */
export const SUBSCRIPTION_OF_ORGANIZATION = `left join lateral (
    select plan_code, interval, status, source, current_period_start, current_period_end, billing_cycle_anchor,
           catalog_hash
    from subscriptions
    where organization_id = o.id
    order by (status not in ('canceled', 'expired')) desc, created_at desc
    limit 1
  ) s on true`;
export const subscriptionOfOrganization = sql.raw(SUBSCRIPTION_OF_ORGANIZATION);

/**
 * The billing context of each existing organization among `organizationIds`, in one query: its live
 * subscription, or its most recent one when none is live (then the status says it is inactive).
 * Organizations missing from the map do not exist.
 */
export async function loadBillingContexts(
  db: DbOrTx,
  organizationIds: readonly string[],
  plans: PlanResolver,
): Promise<Map<string, BillingContext>> {
  const rows = await queryRows<BillingContextRow>(
    db,
    sql`
    select o.id as organization_id, s.plan_code, s.interval, s.status, s.source,
           s.current_period_start, s.current_period_end, s.billing_cycle_anchor, s.catalog_hash
    from organizations o
    ${subscriptionOfOrganization}
    where o.id in (select json_array_elements_text(${JSON.stringify(organizationIds)}::json))`,
  );
  return toContexts(rows, plans);
}

export function toContexts(rows: BillingContextRow[], plans: PlanResolver): Map<string, BillingContext> {
  const contexts = new Map<string, BillingContext>();
  for (const row of rows) {
    const hasPeriod = row.current_period_start !== null && row.current_period_end !== null;
    const currentPeriod = hasPeriod
      ? { start: toDate(row.current_period_start as Date), end: toDate(row.current_period_end as Date) }
      : null;
    // The default plan follows calendar months; an assigned or paid plan its own anniversary.
    const anniversary = row.source !== null && row.source !== 'default' && currentPeriod !== null;
    contexts.set(row.organization_id, {
      // A paid or assigned plan keeps the definition of the catalog version it was taken under
      // (grandfathered); the default plan always follows today's catalog.
      planCode:
        row.plan_code === null
          ? plans.defaultPlanCode
          : row.source === 'default'
            ? row.plan_code
            : plans.effectivePlanCode(row.plan_code, row.catalog_hash),
      status: row.status,
      interval: anniversary ? row.interval : null,
      anchor: anniversary && row.billing_cycle_anchor !== null ? toDate(row.billing_cycle_anchor) : null,
      currentPeriod,
    });
  }
  return contexts;
}
