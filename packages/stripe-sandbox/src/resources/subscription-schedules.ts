import type Stripe from 'stripe';
import { applyPhase, subscribeToFirstPhase } from '../billing/schedule-phases.js';
import { cancelSubscriptionNow } from '../billing/subscription-renewal.js';
import {
  attachToSubscription,
  closeSchedule,
  newSchedule,
  type PhaseInput,
  type ProrationBehavior,
  phaseOfSubscription,
  progressOf,
  releaseSchedule,
  requireOpen,
  resolvePhases,
  type Schedule,
} from '../billing/subscription-schedules.js';
import { clockOfSubscription, type Subscription } from '../billing/subscription-state.js';
import { errors } from '../http/errors.js';
import { inRange, type ListParams, listParams, paginate } from '../http/list.js';
import { any, arr, bool, int, metadata, obj, oneOf, required, str, validateParams } from '../http/params.js';
import type { Router } from '../http/router.js';
import type { Sandbox } from '../sandbox.js';
import type { Wire } from '../wire.js';
import { mergeMetadata, previousAttributes } from './common.js';

const prorationBehavior = oneOf(['create_prorations', 'none', 'always_invoice']);
const endBehavior = oneOf(['release', 'cancel']);

const phaseSpec = obj({
  items: required(arr(obj({ price: str(), plan: str(), quantity: int(), metadata: metadata() }))),
  start_date: any(),
  end_date: any(),
  duration: obj({
    interval: required(oneOf(['day', 'week', 'month', 'year'])),
    interval_count: int(),
  }),
  iterations: int(),
  proration_behavior: prorationBehavior,
  metadata: metadata(),
  default_payment_method: str(),
  description: str({ nullable: true }),
});

interface CreateInput {
  customer?: string;
  from_subscription?: string;
  phases?: PhaseInput[];
  start_date?: unknown;
  end_behavior?: 'release' | 'cancel';
  metadata?: Record<string, string | null>;
}

interface UpdateInput {
  phases?: PhaseInput[];
  end_behavior?: 'release' | 'cancel';
  metadata?: Record<string, string | null> | null;
  proration_behavior?: ProrationBehavior;
}

/** `start_date`/`end_date` take a Unix timestamp or `now`. */
function timestampOrNow(value: unknown, param: string): number | 'now' | undefined {
  if (value === undefined) return undefined;
  if (value === 'now') return 'now';
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  throw errors.invalidInteger(param, String(value));
}

function readPhases(phases: PhaseInput[] | undefined): PhaseInput[] | undefined {
  return phases?.map((phase, index) => ({
    ...phase,
    start_date: timestampOrNow(phase.start_date, `phases[${index}][start_date]`),
    end_date: timestampOrNow(phase.end_date, `phases[${index}][end_date]`),
  }));
}

function requireSchedule(sandbox: Sandbox, id: string): Schedule {
  return sandbox.store.require<Schedule>('subscription_schedules', id, 'subscription_schedule');
}

function scheduleFromSubscription(sandbox: Sandbox, input: CreateInput): Schedule {
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

function scheduleForCustomer(sandbox: Sandbox, input: CreateInput): Schedule {
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
function updateSchedule(sandbox: Sandbox, schedule: Schedule, input: UpdateInput): Schedule {
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

export function registerSubscriptionSchedules(router: Router): void {
  router.api('POST', '/v1/subscription_schedules', ({ sandbox, body }) => {
    const input = validateParams<CreateInput>(
      {
        customer: str(),
        from_subscription: str(),
        phases: arr(phaseSpec),
        start_date: any(),
        end_behavior: endBehavior,
        metadata: metadata(),
      },
      body,
    );
    const phases = readPhases(input.phases);
    return input.from_subscription
      ? scheduleFromSubscription(sandbox, { ...input, phases })
      : scheduleForCustomer(sandbox, { ...input, phases });
  });
  router.api('GET', '/v1/subscription_schedules/:id', ({ sandbox, params }) =>
    requireSchedule(sandbox, params.id as string),
  );
  router.api('POST', '/v1/subscription_schedules/:id', ({ sandbox, body, params }) => {
    const input = validateParams<UpdateInput>(
      {
        phases: arr(phaseSpec),
        end_behavior: endBehavior,
        metadata: metadata(),
        proration_behavior: prorationBehavior,
      },
      body,
    );
    return updateSchedule(sandbox, requireSchedule(sandbox, params.id as string), {
      ...input,
      phases: readPhases(input.phases),
    });
  });
  router.api('POST', '/v1/subscription_schedules/:id/release', ({ sandbox, body, params }) => {
    validateParams({ preserve_cancel_date: bool() }, body);
    const schedule = requireSchedule(sandbox, params.id as string);
    requireOpen(schedule, 'release');
    return releaseSchedule(sandbox, schedule);
  });
  router.api('POST', '/v1/subscription_schedules/:id/cancel', ({ sandbox, body, params }) => {
    const input = validateParams<{ invoice_now?: boolean; prorate?: boolean }>(
      { invoice_now: bool(), prorate: bool() },
      body,
    );
    const schedule = requireSchedule(sandbox, params.id as string);
    requireOpen(schedule, 'cancel');
    const subscription =
      typeof schedule.subscription === 'string'
        ? sandbox.store.get<Subscription>('subscriptions', schedule.subscription)
        : undefined;
    if (subscription) cancelSubscriptionNow(sandbox, subscription, input.invoice_now ?? true);
    closeSchedule(sandbox, schedule, 'canceled');
    return schedule;
  });
  router.api('GET', '/v1/subscription_schedules', ({ sandbox, body }) => {
    const params = validateParams<ListParams & { customer?: string; scheduled?: boolean; created?: unknown }>(
      {
        ...listParams,
        customer: str(),
        scheduled: bool(),
        created: any(),
        canceled_at: any(),
        completed_at: any(),
        released_at: any(),
      },
      body,
    );
    const rows = sandbox.store
      .all<Schedule>('subscription_schedules')
      .filter(
        (row) =>
          (params.customer === undefined || row.customer === params.customer) &&
          (params.scheduled === undefined || (row.status === 'not_started') === params.scheduled) &&
          inRange(row.created, params.created),
      );
    return paginate(rows, params, '/v1/subscription_schedules');
  });
}
