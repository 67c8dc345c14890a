import { renewedPeriod } from '@tollgate/core';
import { and, eq, lte, ne, notInArray, sql } from 'drizzle-orm';
import { queryRows } from '../db/query-rows.js';
import { subscriptions } from '../db/schema/index.js';
import type { DbOrTx } from '../db/transaction.js';
import { subscriptionPages } from './subscription-pages.js';

/** Subscriptions renewed per statement: a round's memory stays bounded however many fall due at once. */
const RENEWAL_PAGE_SIZE = 500;

type Renewal = {
  organization_id: string;
  subscription_id: string;
  previous_start: string;
  previous_end: string;
  start: string;
  end: string;
};

/**
 * Moves every subscription Tollgate bills itself (the default plan, manual plans) whose period has
 * ended into the period containing `now`, and records each move in the plan history. Without it a
 * subscription would keep its first period forever: no new subscription credits, and the organization
 * would show a period long over. Each row moves only from the period it was read in, so two rounds
 * that overlap renew it once.
 */
export async function renewSubscriptionPeriods(
  db: DbOrTx,
  now: Date,
  options: {
    pageSize?: number;
    /** The catalog's `billing.migrate_at_renewal`: renewed subscriptions move to this catalog version. */
    migrateToCatalogHash?: string | null;
  } = {},
): Promise<{ renewed: number }> {
  const pageSize = options.pageSize ?? RENEWAL_PAGE_SIZE;
  let renewed = 0;
  const due = and(
    notInArray(subscriptions.status, ['canceled', 'expired']),
    ne(subscriptions.source, 'stripe'),
    eq(subscriptions.cancelAtPeriodEnd, false),
    lte(subscriptions.currentPeriodEnd, now),
  );
  for await (const page of subscriptionPages(db, due, pageSize)) {
    const renewals: Renewal[] = page.flatMap((subscription) => {
      const period = renewedPeriod(subscription, now);
      return period
        ? [
            {
              organization_id: subscription.organizationId,
              subscription_id: subscription.id,
              previous_start: subscription.currentPeriodStart.toISOString(),
              previous_end: subscription.currentPeriodEnd.toISOString(),
              start: period.start.toISOString(),
              end: period.end.toISOString(),
            },
          ]
        : [];
    });
    if (renewals.length > 0)
      renewed += (await applyRenewals(db, renewals, now, options.migrateToCatalogHash ?? null)).length;
  }
  return { renewed };
}

/** One statement: the new periods, and a 'renewed' history row for each subscription that moved. */
function applyRenewals(db: DbOrTx, renewals: Renewal[], now: Date, migrateToCatalogHash: string | null) {
  const at = now.toISOString();
  return queryRows<{ subscription_id: string }>(
    db,
    sql`with renewal as (
      select * from json_to_recordset(${JSON.stringify(renewals)}::json) as r (
        organization_id text, subscription_id text, previous_start timestamptz, previous_end timestamptz,
        start timestamptz, "end" timestamptz)
    ), renewed as (
      update subscriptions s
      set current_period_start = r.start, current_period_end = r."end", updated_at = ${at}::timestamptz,
          catalog_hash = coalesce(${migrateToCatalogHash}::text, s.catalog_hash)
      from renewal r
      where s.organization_id = r.organization_id and s.id = r.subscription_id
        and s.current_period_end = r.previous_end
      returning s.organization_id, s.id, s.plan_code, s.status, s.source, s.interval,
        r.previous_start, r.previous_end, r.start, r."end"
    )
    insert into subscription_history
      (organization_id, subscription_id, change, from_plan_code, to_plan_code, from_status, to_status,
       actor, details, occurred_at)
    select organization_id, id, 'renewed', plan_code, plan_code, status, status, 'system',
      jsonb_build_object('source', source, 'interval', interval,
        'previous_period_start', previous_start, 'previous_period_end', previous_end,
        'period_start', start, 'period_end', "end"),
      ${at}::timestamptz
    from renewed
    returning subscription_id`,
  );
}
