import type { BillingInterval } from '../billing-period.js';
import type { SubscriptionStatus } from '../metering/billing-context.js';

/** Stripe's subscription statuses (API 2026-10-28). */
export type StripeSubscriptionStatus =
  | 'incomplete'
  | 'incomplete_expired'
  | 'trialing'
  | 'active'
  | 'past_due'
  | 'canceled'
  | 'unpaid'
  | 'paused';

export type PlanAndInterval = { plan: string; interval: BillingInterval };

/** What Tollgate needs of a Stripe subscription, with its price already resolved to a catalog plan. */
export type StripeSubscriptionSnapshot = {
  id: string;
  status: StripeSubscriptionStatus;
  /** Null when the subscription's price is not one of Tollgate's (see `plan_unknown`). */
  plan: PlanAndInterval | null;
  priceId: string | null;
  currentPeriod: { start: Date; end: Date };
  trialEnd: Date | null;
  /** Ends at the period end (cancel_at_period_end, or cancel_at on the period end). */
  cancelAtPeriodEnd: boolean;
  endedAt: Date | null;
  scheduleId: string | null;
  /** The next phase of the subscription's schedule, when it changes the plan. */
  scheduledChange: (PlanAndInterval & { at: Date }) | null;
};

/** Tollgate's subscription row as the decision needs it. */
export type TollgateSubscriptionState = {
  id: string;
  plan: string;
  interval: BillingInterval;
  status: SubscriptionStatus;
  source: 'default' | 'manual' | 'stripe';
  stripeSubscriptionId: string | null;
  stripeStatus: string | null;
  stripePriceId: string | null;
  currentPeriod: { start: Date; end: Date };
  trialEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  scheduleId: string | null;
  scheduledChange: (PlanAndInterval & { at: Date }) | null;
};

/** The columns a decision writes; the same shape for a new row and an update. */
export type StripeSubscriptionFields = {
  plan: string;
  interval: BillingInterval;
  status: SubscriptionStatus;
  stripeStatus: StripeSubscriptionStatus;
  stripeSubscriptionId: string;
  stripePriceId: string | null;
  currentPeriod: { start: Date; end: Date };
  trialEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  endedAt: Date | null;
  scheduleId: string | null;
  scheduledChange: (PlanAndInterval & { at: Date }) | null;
};

export type HistoryEntry = {
  change:
    | 'created'
    | 'plan_changed'
    | 'price_changed'
    | 'status_changed'
    | 'renewed'
    | 'cancel_scheduled'
    | 'cancel_withdrawn'
    | 'change_scheduled'
    | 'change_withdrawn'
    | 'ended';
  fromPlan: string | null;
  toPlan: string | null;
  fromStatus: string | null;
  toStatus: string | null;
  details: Record<string, unknown>;
};

export type StripeSubscriptionDecision =
  /** Nothing to write: the state is already applied, or the subscription never started. */
  | { kind: 'unchanged' }
  /** A Stripe subscription Tollgate has not applied yet: it replaces the organization's live plan. */
  | { kind: 'start'; fields: StripeSubscriptionFields; history: HistoryEntry[] }
  | { kind: 'update'; fields: StripeSubscriptionFields; history: HistoryEntry[] }
  /** The subscription ended: the row is closed and the organization falls back to the default plan. */
  | { kind: 'end'; fields: StripeSubscriptionFields; history: HistoryEntry[]; fallbackPlan: string }
  /** The price is not one of the catalog's: nothing is applied, and the event is reported. */
  | { kind: 'plan_unknown'; priceId: string | null };

/** Stripe's status in Tollgate's words; null for a subscription that never started. */
export function tollgateStatusOf(
  snapshot: Pick<StripeSubscriptionSnapshot, 'status' | 'cancelAtPeriodEnd' | 'endedAt' | 'currentPeriod'>,
): SubscriptionStatus | null {
  switch (snapshot.status) {
    case 'trialing':
    case 'active':
    case 'past_due':
    case 'unpaid':
    case 'incomplete':
      return snapshot.status;
    // A trial that ended without a payment method: no access until it is paid, as unpaid.
    case 'paused':
      return 'unpaid';
    case 'incomplete_expired':
      return null;
    case 'canceled': {
      // Ended without renewal at the period end (the customer cancelled) → expired; ended early
      // (payment failures, an operator) → canceled. Either way the default plan applies afterwards.
      const ended = snapshot.endedAt ?? snapshot.currentPeriod.end;
      const atPeriodEnd =
        snapshot.cancelAtPeriodEnd || ended.getTime() >= snapshot.currentPeriod.end.getTime();
      return atPeriodEnd ? 'expired' : 'canceled';
    }
  }
}

const LIVE: ReadonlySet<SubscriptionStatus> = new Set([
  'trialing',
  'active',
  'past_due',
  'unpaid',
  'incomplete',
]);
/** Statuses in which a new Stripe subscription takes over from the organization's current plan. */
const STARTED: ReadonlySet<SubscriptionStatus> = new Set(['trialing', 'active', 'past_due']);

const sameTime = (a: Date | null, b: Date | null) => (a?.getTime() ?? null) === (b?.getTime() ?? null);
const sameChange = (
  a: TollgateSubscriptionState['scheduledChange'],
  b: StripeSubscriptionFields['scheduledChange'],
) =>
  a === null || b === null
    ? a === b
    : a.plan === b.plan && a.interval === b.interval && a.at.getTime() === b.at.getTime();

/**
 * Decides what a Stripe subscription's state means for Tollgate's row. The same decision serves
 * webhooks, reconciliation and backfill, so they cannot disagree. `current` is the organization's
 * row for this Stripe subscription (null when Tollgate has none yet).
 */
export function decideStripeSubscription(input: {
  current: TollgateSubscriptionState | null;
  snapshot: StripeSubscriptionSnapshot;
  defaultPlan: string;
}): StripeSubscriptionDecision {
  const { current, snapshot } = input;
  const status = tollgateStatusOf(snapshot);
  if (status === null) return { kind: 'unchanged' };
  if (snapshot.plan === null) return { kind: 'plan_unknown', priceId: snapshot.priceId };
  const fields: StripeSubscriptionFields = {
    plan: snapshot.plan.plan,
    interval: snapshot.plan.interval,
    status,
    stripeStatus: snapshot.status,
    stripeSubscriptionId: snapshot.id,
    stripePriceId: snapshot.priceId,
    currentPeriod: snapshot.currentPeriod,
    trialEnd: snapshot.trialEnd,
    cancelAtPeriodEnd: snapshot.cancelAtPeriodEnd,
    endedAt: LIVE.has(status) ? null : (snapshot.endedAt ?? snapshot.currentPeriod.end),
    scheduleId: snapshot.scheduleId,
    scheduledChange: snapshot.scheduledChange,
  };
  const details = {
    stripe_subscription_id: snapshot.id,
    stripe_status: snapshot.status,
    interval: fields.interval,
    current_period_start: fields.currentPeriod.start.toISOString(),
    current_period_end: fields.currentPeriod.end.toISOString(),
  };
  if (current === null) {
    // A subscription first seen once it has already ended, or still waiting for its first payment,
    // must not take the organization off the plan it is on.
    if (!STARTED.has(status)) return { kind: 'unchanged' };
    return {
      kind: 'start',
      fields,
      history: [
        {
          change: 'created',
          fromPlan: null,
          toPlan: fields.plan,
          fromStatus: null,
          toStatus: status,
          details,
        },
      ],
    };
  }
  const history: HistoryEntry[] = [];
  const entry = (change: HistoryEntry['change'], extra: Record<string, unknown> = {}) =>
    history.push({
      change,
      fromPlan: current.plan,
      toPlan: fields.plan,
      fromStatus: current.status,
      toStatus: status,
      details: { ...details, ...extra },
    });
  if (current.plan !== fields.plan || current.interval !== fields.interval) {
    entry('plan_changed', { from_interval: current.interval });
  } else if (current.stripePriceId !== null && current.stripePriceId !== fields.stripePriceId) {
    // The same plan at another price: moved to a newer version of the plan (a migration).
    entry('price_changed', { from_price: current.stripePriceId, to_price: fields.stripePriceId });
  }
  if (!LIVE.has(status)) {
    entry('ended');
    return { kind: 'end', fields, history, fallbackPlan: input.defaultPlan };
  }
  if (current.status !== status) entry('status_changed');
  if (current.currentPeriod.start.getTime() < fields.currentPeriod.start.getTime()) entry('renewed');
  if (!current.cancelAtPeriodEnd && fields.cancelAtPeriodEnd) entry('cancel_scheduled');
  if (current.cancelAtPeriodEnd && !fields.cancelAtPeriodEnd) entry('cancel_withdrawn');
  // A scheduled change that took effect is recorded as the plan change above, not as withdrawn.
  const scheduledChangeApplied =
    current.scheduledChange !== null &&
    fields.scheduledChange === null &&
    current.scheduledChange.plan === fields.plan &&
    current.scheduledChange.interval === fields.interval;
  if (!scheduledChangeApplied && !sameChange(current.scheduledChange, fields.scheduledChange)) {
    entry(fields.scheduledChange ? 'change_scheduled' : 'change_withdrawn', {
      scheduled_change: fields.scheduledChange
        ? { ...fields.scheduledChange, at: fields.scheduledChange.at.toISOString() }
        : null,
    });
  }
  const unchanged =
    history.length === 0 &&
    current.stripeStatus === fields.stripeStatus &&
    current.currentPeriod.end.getTime() === fields.currentPeriod.end.getTime() &&
    sameTime(current.trialEnd, fields.trialEnd) &&
    current.scheduleId === fields.scheduleId;
  return unchanged ? { kind: 'unchanged' } : { kind: 'update', fields, history };
}
