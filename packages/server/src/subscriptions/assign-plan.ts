import { addIntervals, type BillingInterval, type Catalog, calendarMonthContaining } from '@tollgate/core';
import { and, eq, notInArray } from 'drizzle-orm';
import { randomId } from '../auth/secrets.js';
import { subscriptionHistory, subscriptions } from '../db/schema/index.js';
import type { DbOrTx } from '../db/transaction.js';
import { badRequest } from '../errors.js';

export type SubscriptionRow = typeof subscriptions.$inferSelect;

export async function liveSubscription(
  db: DbOrTx,
  organizationId: string,
): Promise<SubscriptionRow | undefined> {
  const [row] = await db
    .select()
    .from(subscriptions)
    .where(
      and(
        eq(subscriptions.organizationId, organizationId),
        notInArray(subscriptions.status, ['canceled', 'expired']),
      ),
    )
    .limit(1);
  return row;
}

export type AssignPlanInput = {
  organizationId: string;
  planCode: string;
  interval: BillingInterval;
  source: 'default' | 'manual';
  actor: string;
  now: Date;
};

/**
 * Puts an organization on a plan without payment (the default plan, or an operator's manual deal).
 * Ends the live subscription, if any, and records both changes in the plan history.
 */
export async function assignPlan(
  tx: DbOrTx,
  catalog: Catalog,
  input: AssignPlanInput,
): Promise<SubscriptionRow> {
  const plan = catalog.plan(input.planCode);
  if (!plan) {
    const known = catalog
      .plans()
      .map((candidate) => candidate.code)
      .join(', ');
    throw badRequest('unknown_plan', `plan "${input.planCode}" is not in the catalog (plans: ${known})`);
  }
  if (input.interval === 'year' && !plan.prices.yearly) {
    throw badRequest('unknown_price', `plan "${plan.code}" has no yearly price`);
  }
  const previous = await liveSubscription(tx, input.organizationId);
  if (previous) {
    await tx
      .update(subscriptions)
      .set({ status: 'canceled', canceledAt: input.now, updatedAt: input.now })
      .where(and(eq(subscriptions.organizationId, input.organizationId), eq(subscriptions.id, previous.id)));
  }
  // A free default plan follows calendar months; an assigned plan starts its own anniversary period now.
  const period =
    input.source === 'default'
      ? calendarMonthContaining(input.now)
      : { start: input.now, end: addIntervals(input.now, input.interval, 1) };
  const [created] = await tx
    .insert(subscriptions)
    .values({
      organizationId: input.organizationId,
      id: randomId('sub'),
      planCode: plan.code,
      interval: input.interval,
      status: 'active',
      source: input.source,
      currentPeriodStart: period.start,
      currentPeriodEnd: period.end,
      billingCycleAnchor: period.start,
      catalogHash: catalog.hash,
      createdAt: input.now,
      updatedAt: input.now,
    })
    .returning();
  if (!created) throw new Error('subscription insert returned no row');
  await tx.insert(subscriptionHistory).values({
    organizationId: input.organizationId,
    subscriptionId: created.id,
    change: previous ? 'plan_changed' : 'created',
    fromPlanCode: previous?.planCode ?? null,
    toPlanCode: plan.code,
    fromStatus: previous?.status ?? null,
    toStatus: created.status,
    actor: input.actor,
    details: {
      source: input.source,
      interval: input.interval,
      previous_subscription_id: previous?.id ?? null,
    },
    occurredAt: input.now,
  });
  return created;
}

/**
 * The plan a subscription row is on: an assigned or paid plan keeps the definition of the catalog
 * version it was taken under (grandfathered); the default plan follows today's catalog.
 */
export function effectivePlanCode(
  catalog: Catalog,
  row: Pick<SubscriptionRow, 'planCode' | 'source' | 'catalogHash'>,
): string {
  return row.source === 'default' ? row.planCode : catalog.effectivePlanCode(row.planCode, row.catalogHash);
}
