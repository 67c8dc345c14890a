import type { Catalog } from '@tollgate/core';
import { and, asc, count, notInArray, sql } from 'drizzle-orm';
import { subscriptions } from '../db/schema/index.js';
import type { DbOrTx } from '../db/transaction.js';

export type RetiredPlan = {
  planCode: string;
  /** Organizations whose live subscription is on the plan. */
  organizationCount: number;
  /** The first of them by id, so that a report names some without growing with the customer base. */
  organizationIds: string[];
};

const NAMED_PER_PLAN = 20;

/** Plans that live subscriptions are on but the catalog no longer has: organizations to migrate. */
export async function findRetiredPlans(db: DbOrTx, catalog: Catalog): Promise<RetiredPlan[]> {
  const planCodes = catalog.plans().map((plan) => plan.code);
  const rows = await db
    .select({
      planCode: subscriptions.planCode,
      organizationCount: count(),
      organizationIds: sql<
        string[]
      >`(array_agg(${subscriptions.organizationId} order by ${subscriptions.organizationId}))[1:${sql.raw(String(NAMED_PER_PLAN))}]`,
    })
    .from(subscriptions)
    .where(
      and(
        notInArray(subscriptions.status, ['canceled', 'expired']),
        notInArray(subscriptions.planCode, planCodes),
      ),
    )
    .groupBy(subscriptions.planCode)
    .orderBy(asc(subscriptions.planCode));
  return rows.map((row) => ({ ...row, organizationCount: Number(row.organizationCount) }));
}

/** One line per retired plan, for the start-up log and the sync command. */
export function describeRetiredPlan(plan: RetiredPlan): string {
  const more = plan.organizationCount - plan.organizationIds.length;
  return `plan "${plan.planCode}" is no longer in the catalog; ${plan.organizationCount} organization${plan.organizationCount === 1 ? ' is' : 's are'} still on it: ${plan.organizationIds.join(', ')}${more > 0 ? ` and ${more} more` : ''} (move each with POST /v1/organizations/{id}/subscription/migrate)`;
}
