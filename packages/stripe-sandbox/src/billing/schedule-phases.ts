import type { Sandbox } from '../sandbox.js';
import { attachToSubscription, closeSchedule, isOpen, releaseSchedule } from './schedule-lifecycle.js';
import { changeSubscription, type SubscriptionChange } from './subscription-changes.js';
import { renewSubscription } from './subscription-renewal.js';
import {
  type Phase,
  type ProrationBehavior,
  progressOf,
  type Schedule,
  setProgress,
} from './subscription-schedules.js';
import { endSubscription, type Subscription } from './subscription-state.js';
import { createSubscription } from './subscriptions.js';

export interface ScheduledAction {
  at: number;
  run: () => void;
}

const LIVE_STATUSES = ['active', 'trialing', 'past_due'];

/** The item changes that turn the subscription's items into the phase's: same price kept, others swapped. */
export function itemChangesFor(
  subscription: Subscription,
  phase: Phase,
): NonNullable<SubscriptionChange['items']> {
  const wanted = [...phase.items];
  const changes: NonNullable<SubscriptionChange['items']> = [];
  for (const item of subscription.items.data) {
    const index = wanted.findIndex((candidate) => candidate.price === item.price.id);
    const match = index >= 0 ? wanted.splice(index, 1)[0] : undefined;
    if (!match) changes.push({ id: item.id, deleted: true });
    else if (match.quantity !== undefined && match.quantity !== item.quantity) {
      changes.push({ id: item.id, quantity: match.quantity });
    }
  }
  for (const item of wanted) changes.push({ price: item.price as string, quantity: item.quantity });
  return changes;
}

/** Puts the phase's items on the subscription now, prorated as the phase (or the request) says. */
export function applyPhase(
  sandbox: Sandbox,
  subscription: Subscription,
  phase: Phase,
  proration: ProrationBehavior,
): void {
  const items = itemChangesFor(subscription, phase);
  if (items.length === 0) return;
  changeSubscription(sandbox, subscription, { items, proration_behavior: proration });
}

function subscriptionOf(sandbox: Sandbox, schedule: Schedule): Subscription | undefined {
  return typeof schedule.subscription === 'string'
    ? sandbox.store.get<Subscription>('subscriptions', schedule.subscription)
    : undefined;
}

/**
 * Moves to the next phase at the end of the current one. When that moment is also the end of the
 * subscription's period, Stripe closes the period on the old items (their metered usage is billed as
 * it was) and starts the new period, and its invoice, on the new phase's items.
 */
function enterPhase(sandbox: Sandbox, schedule: Schedule, subscription: Subscription, index: number): void {
  const previous = schedule.phases[index - 1] as Phase;
  const next = schedule.phases[index] as Phase;
  const periodEnd = subscription.items.data[0]?.current_period_end;
  const renewsNow =
    periodEnd === previous.end_date &&
    LIVE_STATUSES.includes(subscription.status) &&
    !subscription.cancel_at_period_end;
  if (renewsNow)
    renewSubscription(sandbox, subscription, () => applyPhase(sandbox, subscription, next, 'none'));
  else applyPhase(sandbox, subscription, next, next.proration_behavior as ProrationBehavior);
  const before = structuredClone(schedule.current_phase);
  setProgress(sandbox, schedule.id, index);
  schedule.current_phase = { start_date: next.start_date, end_date: next.end_date };
  sandbox.store.put('subscription_schedules', schedule);
  sandbox.emit('subscription_schedule.updated', schedule, {
    clockId: schedule.test_clock as string | null,
    previous: { current_phase: before },
  });
}

/** The last phase ended: release the subscription, or cancel it with the schedule completed. */
function finishSchedule(sandbox: Sandbox, schedule: Schedule, subscription: Subscription): void {
  if (schedule.end_behavior !== 'cancel') {
    releaseSchedule(sandbox, schedule);
    return;
  }
  if (LIVE_STATUSES.includes(subscription.status)) {
    endSubscription(sandbox, subscription, 'cancellation_requested');
  }
  closeSchedule(sandbox, schedule, 'completed');
}

/** Creates the subscription a schedule drives, from its first phase, and links the two. */
export function subscribeToFirstPhase(sandbox: Sandbox, schedule: Schedule): void {
  const phase = schedule.phases[0] as Phase;
  const { subscription } = createSubscription(sandbox, {
    customer: schedule.customer as string,
    items: phase.items.map((item) => ({ price: item.price as string, quantity: item.quantity })),
    metadata: phase.metadata ?? {},
    defaultPaymentMethod: (phase.default_payment_method as string | null) ?? null,
  });
  attachToSubscription(sandbox, schedule, subscription, 0);
}

/** A schedule that starts later creates its subscription when its first phase begins. */
function startSchedule(sandbox: Sandbox, schedule: Schedule): void {
  subscribeToFirstPhase(sandbox, schedule);
  sandbox.emit('subscription_schedule.updated', schedule, {
    clockId: schedule.test_clock as string | null,
    previous: { status: 'not_started' },
  });
}

/** What a schedule has due: its start, its next phase boundary, or noticing its subscription ended. */
export function scheduleActions(sandbox: Sandbox, schedule: Schedule): ScheduledAction[] {
  if (!isOpen(schedule)) return [];
  if (schedule.status === 'not_started') {
    const start = (schedule.phases[0] as Phase).start_date;
    return [{ at: start, run: () => startSchedule(sandbox, schedule) }];
  }
  const subscription = subscriptionOf(sandbox, schedule);
  if (!subscription) return [];
  if (subscription.status === 'canceled' || subscription.status === 'incomplete_expired') {
    return [
      {
        at: subscription.ended_at ?? sandbox.now(schedule.test_clock as string | null),
        run: () => closeSchedule(sandbox, schedule, 'canceled'),
      },
    ];
  }
  const index = progressOf(sandbox, schedule.id);
  const phase = schedule.phases[index] as Phase;
  const hasNext = index + 1 < schedule.phases.length;
  return [
    {
      at: phase.end_date,
      run: () =>
        hasNext
          ? enterPhase(sandbox, schedule, subscription, index + 1)
          : finishSchedule(sandbox, schedule, subscription),
    },
  ];
}
