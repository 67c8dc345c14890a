import {
  type Catalog,
  decideStripeSubscription,
  type StripeSubscriptionDecision,
  type StripeSubscriptionSnapshot,
  type StripeSubscriptionStatus,
  versionMoveFor,
} from '@tollgate/core';
import type Stripe from 'stripe';
import type { DbOrTx } from '../db/transaction.js';
import { AppError } from '../errors.js';
import { queueNotification } from '../notifications/queue-notification.js';
import type { StripeGateway } from '../stripe/stripe-gateway.js';
import { idOf } from '../stripe/stripe-ids.js';
import { assignPlan, liveSubscription, type SubscriptionRow } from '../subscriptions/assign-plan.js';
import {
  closeReplacedSubscription,
  insertStripeSubscription,
  lockOrganizationForStripeSubscription,
  recordHistory,
  toSubscriptionState,
  touchStripeState,
  updateStripeSubscription,
} from '../subscriptions/stripe-subscription-rows.js';
import { planItemOf, planOfPrice } from './price-plans.js';

const fromUnix = (seconds: number) => new Date(seconds * 1000);

/** The next phase of a subscription schedule, when it moves the subscription to another catalog plan. */
async function scheduledChangeOf(
  gateway: StripeGateway,
  catalog: Catalog,
  scheduleId: string,
): Promise<StripeSubscriptionSnapshot['scheduledChange']> {
  const schedule = await gateway.stripe.subscriptionSchedules.retrieve(scheduleId, {
    expand: ['phases.items.price'],
  });
  const currentPhaseEnd = schedule.current_phase?.end_date ?? null;
  const next = schedule.phases.find(
    (phase) => currentPhaseEnd !== null && phase.start_date >= currentPhaseEnd,
  );
  if (!next) return null;
  for (const item of next.items) {
    const price =
      typeof item.price === 'string' ? await gateway.stripe.prices.retrieve(item.price) : item.price;
    if ('deleted' in price && price.deleted) continue;
    const plan = planOfPrice(catalog, price as Stripe.Price);
    if (plan && (price as Stripe.Price).recurring?.usage_type !== 'metered') {
      return { ...plan, at: fromUnix(next.start_date) };
    }
  }
  return null;
}

/** What Tollgate needs of a Stripe subscription, its price resolved to a catalog plan. */
export async function snapshotOf(
  gateway: StripeGateway,
  catalog: Catalog,
  subscription: Stripe.Subscription,
  known: SubscriptionRow | undefined,
): Promise<StripeSubscriptionSnapshot> {
  const item = planItemOf(subscription);
  if (!item)
    throw new AppError('unknown_price', 500, `Stripe subscription ${subscription.id} has no plan item`);
  const scheduleId = idOf(subscription.schedule);
  const periodEnd = item.current_period_end;
  const periodStart = fromUnix(item.current_period_start);
  // What the schedule will change is read once; it is read again when it has come to pass (a
  // schedule stays attached through its last phase) or another schedule replaced it.
  const remembered =
    known?.stripeScheduleId === scheduleId && known.scheduledChange
      ? { ...known.scheduledChange, at: new Date(known.scheduledChange.at) }
      : null;
  const scheduledChange =
    scheduleId === null
      ? null
      : remembered && remembered.at.getTime() > periodStart.getTime()
        ? remembered
        : await scheduledChangeOf(gateway, catalog, scheduleId);
  return {
    id: subscription.id,
    status: subscription.status as StripeSubscriptionStatus,
    plan: planOfPrice(catalog, item.price),
    priceId: item.price.id,
    currentPeriod: { start: periodStart, end: fromUnix(periodEnd) },
    trialEnd: subscription.trial_end === null ? null : fromUnix(subscription.trial_end),
    cancelAtPeriodEnd:
      subscription.cancel_at_period_end ||
      (subscription.cancel_at !== null && subscription.cancel_at >= periodEnd),
    endedAt: subscription.ended_at === null ? null : fromUnix(subscription.ended_at),
    scheduleId,
    scheduledChange,
  };
}

/**
 * Stripe's time now for a subscription: its test clock's, when it is on one. A state read from Stripe
 * is current as of this instant, so any event created up to it is older than what was applied.
 */
export async function stripeNowFor(gateway: StripeGateway, subscription: Stripe.Subscription): Promise<Date> {
  const clockId = idOf(subscription.test_clock);
  const seconds = clockId
    ? (await gateway.stripe.testHelpers.testClocks.retrieve(clockId)).frozen_time
    : Math.floor(Date.now() / 1000);
  return fromUnix(seconds);
}

export type AppliedSubscription = {
  decision: StripeSubscriptionDecision['kind'];
  subscriptionId: string | null;
};

/**
 * Applies a Stripe subscription's state to the organization, from a webhook, Checkout's completion,
 * a plan change Tollgate made, or a backfill. The organization's row is locked first, so applications
 * for one organization run one at a time; a state no newer than the one last applied (Stripe's
 * `created` is in seconds, and events arrive in any order) is re-read from Stripe instead of trusted.
 */
export async function applyStripeSubscription(
  tx: DbOrTx,
  input: {
    gateway: StripeGateway;
    catalog: Catalog;
    organizationId: string;
    subscription: Stripe.Subscription;
    /** When the given object was current: the event's `created`. */
    stateAt: Date;
    actor: string;
    now: Date;
  },
): Promise<AppliedSubscription> {
  const { gateway, catalog, organizationId } = input;
  const known = await lockOrganizationForStripeSubscription(tx, organizationId, input.subscription.id);
  let subscription = input.subscription;
  let stateAt = input.stateAt;
  if (known?.stripeStateAt && input.stateAt.getTime() <= known.stripeStateAt.getTime()) {
    subscription = await gateway.stripe.subscriptions.retrieve(input.subscription.id);
    stateAt = await stripeNowFor(gateway, subscription);
  }
  const snapshot = await snapshotOf(gateway, catalog, subscription, known);
  const decision = decideStripeSubscription({
    current: known ? toSubscriptionState(known) : null,
    snapshot,
    defaultPlan: catalog.defaultPlanCode,
  });
  const common = { organizationId, actor: input.actor, now: input.now };
  switch (decision.kind) {
    case 'plan_unknown':
      throw new AppError(
        'unknown_price',
        500,
        `Stripe price ${decision.priceId ?? '(none)'} of subscription ${subscription.id} is not one of the catalog's; run stripe sync or migrate the subscription`,
      );
    case 'unchanged':
      if (known && stateAt.getTime() > (known.stripeStateAt?.getTime() ?? 0))
        await touchStripeState(tx, known, stateAt);
      return { decision: decision.kind, subscriptionId: known?.id ?? null };
    case 'start': {
      const live = await liveSubscription(tx, organizationId);
      if (live) await closeReplacedSubscription(tx, live, input.now);
      const row = await insertStripeSubscription(tx, {
        organizationId,
        fields: decision.fields,
        catalogHash: catalog.hash,
        stateAt,
        now: input.now,
      });
      const entries = decision.history.map((entry) => ({
        ...entry,
        fromPlan: live?.planCode ?? null,
        fromStatus: live?.status ?? null,
        details: { ...entry.details, previous_subscription_id: live?.id ?? null },
      }));
      await recordHistory(tx, { ...common, subscriptionId: row.id, entries });
      await queueNotification(tx, {
        organizationId,
        kind: 'subscription.started',
        payload: {
          plan: row.planCode,
          interval: row.interval,
          status: row.status,
          trial_end: row.trialEnd?.toISOString() ?? null,
        },
        now: input.now,
      });
      return { decision: decision.kind, subscriptionId: row.id };
    }
    case 'update':
    case 'end': {
      const row = known as SubscriptionRow;
      // A new plan, or the same plan at a newer price, is taken under today's catalog version.
      const planChanged = decision.history.some(
        (entry) => entry.change === 'plan_changed' || entry.change === 'price_changed',
      );
      // With billing.migrate_at_renewal, a renewal at an unchanged price takes today's limits too.
      const renewedIntoToday =
        decision.history.some((entry) => entry.change === 'renewed') &&
        versionMoveFor(catalog, {
          source: row.source,
          status: decision.fields.status,
          planCode: decision.fields.plan,
          interval: decision.fields.interval,
          catalogHash: row.catalogHash,
          cancelAtPeriodEnd: decision.fields.cancelAtPeriodEnd,
          scheduled: decision.fields.scheduledChange !== null,
        }) === 'at_renewal';
      await updateStripeSubscription(tx, row, {
        fields: decision.fields,
        stateAt,
        now: input.now,
        catalogHash: planChanged || renewedIntoToday ? catalog.hash : undefined,
      });
      await recordHistory(tx, { ...common, subscriptionId: row.id, entries: decision.history });
      for (const entry of decision.history) {
        if (entry.change === 'created' || entry.change === 'renewed') continue;
        await queueNotification(tx, {
          organizationId,
          kind: `subscription.${entry.change}`,
          payload: {
            subscription_id: row.id,
            from_plan: entry.fromPlan,
            to_plan: entry.toPlan,
            from_status: entry.fromStatus,
            to_status: entry.toStatus,
          },
          now: input.now,
        });
      }
      if (decision.kind === 'end' && !(await liveSubscription(tx, organizationId))) {
        // Ended without renewal: the organization is back on the default plan's limits.
        await assignPlan(tx, catalog, {
          organizationId,
          planCode: decision.fallbackPlan,
          interval: 'month',
          source: 'default',
          actor: input.actor,
          now: input.now,
        });
      }
      return { decision: decision.kind, subscriptionId: row.id };
    }
  }
}
