import type Stripe from 'stripe';
import { errors } from '../http/errors.js';
import { mergeMetadata, previousAttributes } from '../resources/common.js';
import type { Sandbox } from '../sandbox.js';
import type { Wire } from '../wire.js';
import { attachToSubscription, requireOpen } from './schedule-lifecycle.js';
import { applyPhase, subscribeToFirstPhase } from './schedule-phases.js';
import {
  newSchedule,
  type PhaseInput,
  type ProrationBehavior,
  phaseOfSubscription,
  progressOf,
  resolvePhases,
  type Schedule,
} from './subscription-schedules.js';
import { clockOfSubscription, type Subscription } from './subscription-state.js';

export interface ScheduleCreateInput {
  customer?: string;
  from_subscription?: string;
  phases?: PhaseInput[];
  start_date?: unknown;
  end_behavior?: 'release' | 'cancel';
  metadata?: Record<string, string | null>;
}

export interface ScheduleUpdateInput {
  phases?: PhaseInput[];
  end_behavior?: 'release' | 'cancel';
  metadata?: Record<string, string | null> | null;
  proration_behavior?: ProrationBehavior;
}

/** `start_date`/`end_date` take a Unix timestamp or `now`. */
export function timestampOrNow(value: unknown, param: string): number | 'now' | undefined {
  if (value === undefined) return undefined;
  if (value === 'now') return 'now';
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  throw errors.invalidInteger(param, String(value));
}

export function readPhases(phases: PhaseInput[] | undefined): PhaseInput[] | undefined {
  return phases?.map((phase, index) => ({
    ...phase,
    start_date: timestampOrNow(phase.start_date, `phases[${index}][start_date]`),
    end_date: timestampOrNow(phase.end_date, `phases[${index}][end_date]`),
  }));
}

export function scheduleFromSubscription(sandbox: Sandbox, input: ScheduleCreateInput): Schedule {
  const subscriptionId = input.from_subscription as string;
  for (const field of ['customer', 'phases', 'start_date'] as const) {
    if (input[field] !== undefined) {
      throw errors.invalidValue(field, `You cannot set \`${field}\` if \`from_subscription\` is set.`);
    }
  }
  const subscription = sandbox.store.require<Subscription>(
    'subscriptions',
    subscriptionId,
    'subscription',
    'from_subscription',
  );
  if (subscription.schedule) {
    throw errors.invalidValue(
      'from_subscription',
      `The subscription \`${subscription.id}\` is already attached to the schedule \`${subscription.schedule as string}\`.`,
    );
  }
  if (!['active', 'trialing', 'past_due', 'incomplete'].includes(subscription.status)) {
    throw errors.invalidValue(
      'from_subscription',
      `You cannot create a schedule from a subscription with status \`${subscription.status}\`.`,
    );
  }
  const clockId = clockOfSubscription(subscription);
  const current = phaseOfSubscription(subscription);
  const phases = resolvePhases(sandbox, [current], current.start, sandbox.now(clockId), 'create_prorations');
  const schedule = newSchedule(
    sandbox,
    subscription.customer as string,
    clockId,
    phases,
    input.end_behavior ?? 'release',
    mergeMetadata({}, input.metadata),
  );
  sandbox.store.insert('subscription_schedules', schedule);
  attachToSubscription(sandbox, schedule, subscription, 0);
  sandbox.emit('subscription_schedule.created', schedule, { clockId });
  return schedule;
}

export function scheduleForCustomer(sandbox: Sandbox, input: ScheduleCreateInput): Schedule {
  if (!input.customer) throw errors.missingParameter('customer');
  if (!input.phases) throw errors.missingParameter('phases');
  const customer = sandbox.store.require<Wire<Stripe.Customer>>(
    'customers',
    input.customer,
    'customer',
    'customer',
  );
  const clockId = sandbox.clockOfCustomer(customer.id);
  const now = sandbox.now(clockId);
  const start = timestampOrNow(input.start_date, 'start_date') ?? 'now';
  const phases = resolvePhases(
    sandbox,
    input.phases,
    start === 'now' ? now : start,
    now,
    'create_prorations',
  );
  const schedule = newSchedule(
    sandbox,
    customer.id,
    clockId,
    phases,
    input.end_behavior ?? 'release',
    mergeMetadata({}, input.metadata),
  );
  sandbox.store.insert('subscription_schedules', schedule);
  sandbox.emit('subscription_schedule.created', schedule, { clockId });
  if ((phases[0]?.start_date ?? now) <= now) subscribeToFirstPhase(sandbox, schedule);
  return sandbox.store.get<Schedule>('subscription_schedules', schedule.id) as Schedule;
}

/**
 * Replaces the phases from the current one on (phases already over stay as they were). The current
 * phase keeps its start; if its items differ from the subscription's, they are applied now.
 */
export function updateSchedule(sandbox: Sandbox, schedule: Schedule, input: ScheduleUpdateInput): Schedule {
  requireOpen(schedule, 'update');
  const clockId = schedule.test_clock as string | null;
  const now = sandbox.now(clockId);
  const before = structuredClone(schedule);
  if (input.phases) {
    const active = schedule.status === 'active';
    const index = active ? progressOf(sandbox, schedule.id) : 0;
    const current = schedule.phases[index];
    const requestedStart = input.phases[0]?.start_date;
    let start = current?.start_date ?? now;
    if (active && requestedStart !== undefined && requestedStart !== start) {
      throw errors.invalidValue(
        'phases[0][start_date]',
        'You can not modify the start date of the current phase.',
      );
    }
    if (!active && requestedStart !== undefined) start = requestedStart === 'now' ? now : requestedStart;
    const phases = resolvePhases(sandbox, input.phases, start, now, 'create_prorations', 0);
    const first = phases[0];
    if (active && first && first.end_date <= now) {
      throw errors.invalidValue('phases[0][end_date]', 'The current phase must end in the future.');
    }
    schedule.phases = [...schedule.phases.slice(0, index), ...phases];
    if (active && first) {
      schedule.current_phase = { start_date: first.start_date, end_date: first.end_date };
      const subscription = sandbox.store.get<Subscription>('subscriptions', schedule.subscription as string);
      if (subscription) {
        applyPhase(
          sandbox,
          subscription,
          first,
          input.proration_behavior ?? (first.proration_behavior as ProrationBehavior),
        );
      }
    }
  }
  if (input.end_behavior) schedule.end_behavior = input.end_behavior;
  if (input.metadata !== undefined) schedule.metadata = mergeMetadata(schedule.metadata, input.metadata);
  sandbox.store.put('subscription_schedules', schedule);
  const previous = previousAttributes(before, schedule);
  if (Object.keys(previous).length > 0) {
    sandbox.emit('subscription_schedule.updated', schedule, { clockId, previous });
  }
  return schedule;
}
