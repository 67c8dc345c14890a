import type { HistoryEntry, StripeSubscriptionFields, TollgateSubscriptionState } from '@tollgate/core';
import { and, eq } from 'drizzle-orm';
import { randomId } from '../auth/secrets.js';
import { queryPreparedIn } from '../db/fixed-statements.js';
import { namedStatement, valuesOf } from '../db/named-statement.js';
import { subscriptions } from '../db/schema/index.js';
import { writeLater } from '../db/statement-transaction.js';
import { rowOfTable } from '../db/table-rows.js';
import type { DbOrTx } from '../db/transaction.js';
import type { SubscriptionRow } from './assign-plan.js';

const SUBSCRIPTION_BY_STRIPE_ID = namedStatement(
  'subscription_by_stripe_id',
  ['organizationId', 'stripeSubscriptionId'],
  (p) => `select * from subscriptions
    where organization_id = ${p.organizationId} and stripe_subscription_id = ${p.stripeSubscriptionId}
    order by created_at desc limit 1`,
);

const LOCK_ORGANIZATION = namedStatement(
  'organization_lock',
  ['organizationId'],
  (p) => `select id from organizations where id = ${p.organizationId} for update`,
);

export async function subscriptionByStripeId(
  db: DbOrTx,
  organizationId: string,
  stripeSubscriptionId: string,
): Promise<SubscriptionRow | undefined> {
  const [raw] = await queryPreparedIn<Record<string, unknown>>(db, SUBSCRIPTION_BY_STRIPE_ID, [
    organizationId,
    stripeSubscriptionId,
  ]);
  return raw ? rowOfTable(subscriptions, raw) : undefined;
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
  await queryPreparedIn(tx, LOCK_ORGANIZATION, [organizationId]);
  return subscriptionByStripeId(tx, organizationId, stripeSubscriptionId);
}

const OFF_VERSION = namedStatement(
  'stripe_subscriptions_off_version',
  ['catalogHash'],
  (p) => `select * from subscriptions s
    where s.source = 'stripe' and s.status in ('trialing', 'active', 'past_due') and s.catalog_hash <> ${p.catalogHash}
      and s.stripe_schedule_id is null and not s.cancel_at_period_end
      -- A parked organization (invariants/) pushes nothing to Stripe until an operator clears it.
      and not exists (select 1 from parked_organizations p where p.organization_id = s.organization_id)
    order by s.organization_id`,
);

/** Live Stripe subscriptions sold under another catalog version, with no change scheduled. */
export async function stripeSubscriptionsOffVersion(
  db: DbOrTx,
  catalogHash: string,
): Promise<SubscriptionRow[]> {
  const rows = await queryPreparedIn<Record<string, unknown>>(db, OFF_VERSION, [catalogHash]);
  return rows.map((raw) => rowOfTable(subscriptions, raw));
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

const UPDATE_STRIPE_SUBSCRIPTION = namedStatement(
  'stripe_subscription_update',
  [
    'organizationId',
    'id',
    'plan',
    'interval',
    'status',
    'stripeStatus',
    'stripeSubscriptionId',
    'stripePriceId',
    'periodStart',
    'periodEnd',
    'trialEnd',
    'cancelAtPeriodEnd',
    'endedAt',
    'scheduleId',
    'scheduledChange',
    'catalogHash',
    'stateAt',
    'now',
  ],
  (p) => `update subscriptions set plan_code = ${p.plan}, interval = ${p.interval}, status = ${p.status},
      stripe_status = ${p.stripeStatus}, stripe_subscription_id = ${p.stripeSubscriptionId},
      stripe_price_id = ${p.stripePriceId}, current_period_start = ${p.periodStart}::timestamptz,
      current_period_end = ${p.periodEnd}::timestamptz, trial_end = ${p.trialEnd}::timestamptz,
      cancel_at_period_end = ${p.cancelAtPeriodEnd}::boolean, ended_at = ${p.endedAt}::timestamptz,
      canceled_at = ${p.endedAt}::timestamptz, stripe_schedule_id = ${p.scheduleId},
      scheduled_change = ${p.scheduledChange}::jsonb,
      -- A new plan is taken under today's catalog; the same plan keeps the version it was sold under.
      catalog_hash = coalesce(${p.catalogHash}, catalog_hash),
      -- Never backwards: a state re-read from Stripe may carry an earlier stamp than one already applied.
      stripe_state_at = greatest(stripe_state_at, ${p.stateAt}::timestamptz),
      updated_at = ${p.now}::timestamptz
    where organization_id = ${p.organizationId} and id = ${p.id}`,
);

/** Writes the decided fields; nothing reads the answer, so it may travel with the next statement. */
export async function updateStripeSubscription(
  tx: DbOrTx,
  row: SubscriptionRow,
  input: { fields: StripeSubscriptionFields; stateAt: Date; now: Date; catalogHash?: string | undefined },
): Promise<void> {
  const { fields } = input;
  const iso = (date: Date | null) => date?.toISOString() ?? null;
  await writeLater(
    tx,
    UPDATE_STRIPE_SUBSCRIPTION,
    valuesOf(UPDATE_STRIPE_SUBSCRIPTION, {
      organizationId: row.organizationId,
      id: row.id,
      plan: fields.plan,
      interval: fields.interval,
      status: fields.status,
      stripeStatus: fields.stripeStatus,
      stripeSubscriptionId: fields.stripeSubscriptionId,
      stripePriceId: fields.stripePriceId,
      periodStart: fields.currentPeriod.start.toISOString(),
      periodEnd: fields.currentPeriod.end.toISOString(),
      trialEnd: iso(fields.trialEnd),
      cancelAtPeriodEnd: String(fields.cancelAtPeriodEnd),
      endedAt: iso(fields.endedAt),
      scheduleId: fields.scheduleId,
      scheduledChange: fields.scheduledChange
        ? JSON.stringify({ ...fields.scheduledChange, at: fields.scheduledChange.at.toISOString() })
        : null,
      catalogHash: input.catalogHash ?? null,
      stateAt: input.stateAt.toISOString(),
      now: input.now.toISOString(),
    }),
  );
}

/** Only moves the ordering mark: the state was re-read and found already applied. */
export async function touchStripeState(tx: DbOrTx, row: SubscriptionRow, stateAt: Date): Promise<void> {
  await tx
    .update(subscriptions)
    .set({ stripeStateAt: stateAt })
    .where(and(eq(subscriptions.organizationId, row.organizationId), eq(subscriptions.id, row.id)));
}

const APPEND_HISTORY = namedStatement(
  'subscription_history_append',
  ['organizationId', 'subscriptionId', 'actor', 'occurredAt', 'entries'],
  (
    p,
  ) => `insert into subscription_history (organization_id, subscription_id, change, from_plan_code, to_plan_code,
      from_status, to_status, actor, details, occurred_at)
    select ${p.organizationId}, ${p.subscriptionId}, entry->>'change', entry->>'fromPlan', entry->>'toPlan',
      entry->>'fromStatus', entry->>'toStatus', ${p.actor}, coalesce(entry->'details', '{}'::jsonb),
      ${p.occurredAt}::timestamptz
    from jsonb_array_elements(${p.entries}::jsonb) with ordinality as entries(entry, position)
    order by position`,
);

/** Appends history entries in their order; nothing reads the answer (`writeLater`). */
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
  await writeLater(
    tx,
    APPEND_HISTORY,
    valuesOf(APPEND_HISTORY, {
      organizationId: input.organizationId,
      subscriptionId: input.subscriptionId,
      actor: input.actor,
      occurredAt: input.now.toISOString(),
      entries: JSON.stringify(
        input.entries.map((entry) => ({
          change: entry.change,
          fromPlan: entry.fromPlan,
          toPlan: entry.toPlan,
          fromStatus: entry.fromStatus,
          toStatus: entry.toStatus,
          details: entry.details,
        })),
      ),
    }),
  );
}

/** Closes a live row that another subscription replaces (the default plan, a manual deal, an older Stripe one). */
export async function closeReplacedSubscription(tx: DbOrTx, row: SubscriptionRow, now: Date): Promise<void> {
  await tx
    .update(subscriptions)
    .set({ status: 'canceled', canceledAt: now, endedAt: now, updatedAt: now })
    .where(and(eq(subscriptions.organizationId, row.organizationId), eq(subscriptions.id, row.id)));
}
