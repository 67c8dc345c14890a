import type Stripe from 'stripe';
import { errors } from '../http/errors.js';
import type { Sandbox } from '../sandbox.js';
import type { Wire } from '../wire.js';
import { buildItem } from './subscription-items.js';
import { type Phase, type Schedule, setProgress } from './subscription-schedules.js';
import { type Subscription, saveWithUpdate } from './subscription-state.js';

type Price = Wire<Stripe.Price>;

/** Marks the schedule as driving the subscription from its phase `phaseIndex` on. */
export function attachToSubscription(
  sandbox: Sandbox,
  schedule: Schedule,
  subscription: Subscription,
  phaseIndex: number,
): void {
  const phase = schedule.phases[phaseIndex] as Phase;
  schedule.status = 'active';
  schedule.subscription = subscription.id;
  schedule.current_phase = { start_date: phase.start_date, end_date: phase.end_date };
  setProgress(sandbox, schedule.id, phaseIndex);
  sandbox.store.put('subscription_schedules', schedule);
  const before = structuredClone(subscription);
  subscription.schedule = schedule.id;
  saveWithUpdate(sandbox, subscription, before);
}

function detachFromSubscription(sandbox: Sandbox, schedule: Schedule): Subscription | undefined {
  const subscription = schedule.subscription
    ? sandbox.store.get<Subscription>('subscriptions', schedule.subscription as string)
    : undefined;
  schedule.subscription = null;
  schedule.current_phase = null;
  if (subscription && subscription.schedule === schedule.id) {
    const before = structuredClone(subscription);
    subscription.schedule = null;
    saveWithUpdate(sandbox, subscription, before);
  }
  return subscription;
}

/** Stops the schedule and leaves the subscription running on what it has now. */
export function releaseSchedule(sandbox: Sandbox, schedule: Schedule): Schedule {
  const clockId = schedule.test_clock as string | null;
  const subscription = detachFromSubscription(sandbox, schedule);
  schedule.status = 'released';
  schedule.released_at = sandbox.now(clockId);
  schedule.released_subscription = subscription?.id ?? null;
  sandbox.store.put('subscription_schedules', schedule);
  sandbox.emit('subscription_schedule.released', schedule, { clockId });
  return schedule;
}

/** The last phase ended with `end_behavior: cancel`, or the schedule was canceled: it is over. */
export function closeSchedule(
  sandbox: Sandbox,
  schedule: Schedule,
  outcome: 'completed' | 'canceled',
): Subscription | undefined {
  const clockId = schedule.test_clock as string | null;
  const subscription = schedule.subscription
    ? sandbox.store.get<Subscription>('subscriptions', schedule.subscription as string)
    : undefined;
  schedule.status = outcome;
  schedule.current_phase = null;
  if (outcome === 'completed') schedule.completed_at = sandbox.now(clockId);
  else schedule.canceled_at = sandbox.now(clockId);
  sandbox.store.put('subscription_schedules', schedule);
  sandbox.emit(`subscription_schedule.${outcome}`, schedule, { clockId });
  return subscription;
}

export function isOpen(schedule: Schedule): boolean {
  return schedule.status === 'active' || schedule.status === 'not_started';
}

export function requireOpen(schedule: Schedule, action: string): void {
  if (!isOpen(schedule)) {
    throw errors.stateConflict(
      `You cannot ${action} a subscription schedule that is currently in the \`${schedule.status}\` status.`,
    );
  }
}

/** A subscription ended on its own (canceled or expired): its schedule is canceled with it. */
export function cancelScheduleOfEndedSubscription(sandbox: Sandbox, subscription: Subscription): void {
  const id = subscription.schedule;
  if (typeof id !== 'string') return;
  const schedule = sandbox.store.get<Schedule>('subscription_schedules', id);
  if (schedule && isOpen(schedule)) closeSchedule(sandbox, schedule, 'canceled');
}

/**
 * The subscription as it will renew at `boundary`: when its schedule moves to a new phase then, the
 * renewal bills that phase's items (what Stripe's upcoming invoice shows for a scheduled downgrade).
 */
export function asRenewingAt(sandbox: Sandbox, subscription: Subscription, boundary: number): Subscription {
  const id = subscription.schedule;
  const schedule =
    typeof id === 'string' ? sandbox.store.get<Schedule>('subscription_schedules', id) : undefined;
  if (schedule?.status !== 'active') return subscription;
  const next = schedule.phases.find((phase) => phase.start_date === boundary);
  if (!next) return subscription;
  const clockId = subscription.test_clock as string | null;
  const period = { start: boundary, end: boundary };
  const items = next.items.map((item) =>
    buildItem(
      sandbox,
      subscription.id,
      sandbox.store.require<Price>('prices', item.price as string, 'price'),
      item.quantity,
      period,
      clockId,
    ),
  );
  return { ...subscription, items: { ...subscription.items, data: items } };
}
