import type { HistoryEntry, StripeSubscriptionFields, TollgateSubscriptionState } from '@tollgate/core';
import { and, desc, eq, sql } from 'drizzle-orm';
import { randomId } from '../auth/secrets.js';
import { organizations, subscriptionHistory, subscriptions } from '../db/schema/index.js';
import type { DbOrTx } from '../db/transaction.js';
import type { SubscriptionRow } from './assign-plan.js';

export async function subscriptionByStripeId(
  db: DbOrTx,
  organizationId: string,
  stripeSubscriptionId: string,
): Promise<SubscriptionRow | undefined> {
  const [row] = await db
    .select()
    .from(subscriptions)
    .where(
      and(
        eq(subscriptions.organizationId, organizationId),
        eq(subscriptions.stripeSubscriptionId, stripeSubscriptionId),
      ),
    )
    .orderBy(desc(subscriptions.createdAt))
    .limit(1);
  return row;
}

/**
 * Locks the organization's row for the transaction (applications of Stripe state for one organization
 * run one at a time), then reads its row for the Stripe subscription. Two statements on purpose: in
 * READ COMMITTED a statement that waited for the lock re-checks only the locked row, so a joined
 * subscription row would still be read as it was before the other transaction committed.
 */
export async function lockOrganizationForStripeSubscription(
  tx: DbOrTx,
  organizationId: string,
  stripeSubscriptionId: string,
): Promise<SubscriptionRow | undefined> {
  await tx
    .select({ id: organizations.id })
    .from(organizations)
    .where(eq(organizations.id, organizationId))
    .for('update');
  return subscriptionByStripeId(tx, organizationId, stripeSubscriptionId);
}

/** The row in the shape the core decision reads. */
export function toSubscriptionState(row: SubscriptionRow): TollgateSubscriptionState {
  return {
    id: row.id,
    plan: row.planCode,
    interval: row.interval,
    status: row.status,
    source: row.source,
    stripeSubscriptionId: row.stripeSubscriptionId,
    stripeStatus: row.stripeStatus,
    stripePriceId: row.stripePriceId,
    currentPeriod: { start: row.currentPeriodStart, end: row.currentPeriodEnd },
    trialEnd: row.trialEnd,
    cancelAtPeriodEnd: row.cancelAtPeriodEnd,
    scheduleId: row.stripeScheduleId,
    scheduledChange: row.scheduledChange
      ? { ...row.scheduledChange, at: new Date(row.scheduledChange.at) }
      : null,
  };
}

function columnsOf(fields: StripeSubscriptionFields) {
  return {
    planCode: fields.plan,
    interval: fields.interval,
    status: fields.status,
    stripeStatus: fields.stripeStatus,
    stripeSubscriptionId: fields.stripeSubscriptionId,
    stripePriceId: fields.stripePriceId,
    currentPeriodStart: fields.currentPeriod.start,
    currentPeriodEnd: fields.currentPeriod.end,
    trialEnd: fields.trialEnd,
    cancelAtPeriodEnd: fields.cancelAtPeriodEnd,
    endedAt: fields.endedAt,
    canceledAt: fields.endedAt,
    stripeScheduleId: fields.scheduleId,
    scheduledChange: fields.scheduledChange
      ? { ...fields.scheduledChange, at: fields.scheduledChange.at.toISOString() }
      : null,
  };
}

export async function insertStripeSubscription(
  tx: DbOrTx,
  input: {
    organizationId: string;
    fields: StripeSubscriptionFields;
    catalogHash: string;
    stateAt: Date;
    now: Date;
  },
): Promise<SubscriptionRow> {
  const [row] = await tx
    .insert(subscriptions)
    .values({
      organizationId: input.organizationId,
      id: randomId('sub'),
      source: 'stripe',
      ...columnsOf(input.fields),
      billingCycleAnchor: input.fields.currentPeriod.start,
      catalogHash: input.catalogHash,
      stripeStateAt: input.stateAt,
      createdAt: input.now,
      updatedAt: input.now,
    })
    .returning();
  if (!row) throw new Error('subscription insert returned no row');
  return row;
}

export async function updateStripeSubscription(
  tx: DbOrTx,
  row: SubscriptionRow,
  input: { fields: StripeSubscriptionFields; stateAt: Date; now: Date; catalogHash?: string | undefined },
): Promise<void> {
  await tx
    .update(subscriptions)
    .set({
      ...columnsOf(input.fields),
      // A new plan is taken under today's catalog; the same plan keeps the version it was sold under.
      ...(input.catalogHash !== undefined && { catalogHash: input.catalogHash }),
      // Never backwards: a state re-read from Stripe may carry an earlier stamp than one already applied.
      stripeStateAt: sql`greatest(${subscriptions.stripeStateAt}, ${input.stateAt.toISOString()}::timestamptz)`,
      updatedAt: input.now,
    })
    .where(and(eq(subscriptions.organizationId, row.organizationId), eq(subscriptions.id, row.id)));
}

/** Only moves the ordering mark: the state was re-read and found already applied. */
export async function touchStripeState(tx: DbOrTx, row: SubscriptionRow, stateAt: Date): Promise<void> {
  await tx
    .update(subscriptions)
    .set({ stripeStateAt: stateAt })
    .where(and(eq(subscriptions.organizationId, row.organizationId), eq(subscriptions.id, row.id)));
}

export async function recordHistory(
  tx: DbOrTx,
  input: {
    organizationId: string;
    subscriptionId: string;
    entries: HistoryEntry[];
    actor: string;
    now: Date;
  },
): Promise<void> {
  if (input.entries.length === 0) return;
  await tx.insert(subscriptionHistory).values(
    input.entries.map((entry) => ({
      organizationId: input.organizationId,
      subscriptionId: input.subscriptionId,
      change: entry.change,
      fromPlanCode: entry.fromPlan,
      toPlanCode: entry.toPlan,
      fromStatus: entry.fromStatus,
      toStatus: entry.toStatus,
      actor: input.actor,
      details: entry.details,
      occurredAt: input.now,
    })),
  );
}

/** Closes a live row that another subscription replaces (the default plan, a manual deal, an older Stripe one). */
export async function closeReplacedSubscription(tx: DbOrTx, row: SubscriptionRow, now: Date): Promise<void> {
  await tx
    .update(subscriptions)
    .set({ status: 'canceled', canceledAt: now, endedAt: now, updatedAt: now })
    .where(and(eq(subscriptions.organizationId, row.organizationId), eq(subscriptions.id, row.id)));
}
