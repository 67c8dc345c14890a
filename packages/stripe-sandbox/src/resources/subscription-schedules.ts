import { closeSchedule, releaseSchedule, requireOpen } from '../billing/schedule-lifecycle.js';
import {
  readPhases,
  type ScheduleCreateInput,
  type ScheduleUpdateInput,
  scheduleForCustomer,
  scheduleFromSubscription,
  updateSchedule,
} from '../billing/schedule-requests.js';
import { cancelSubscriptionNow } from '../billing/subscription-renewal.js';
import type { Schedule } from '../billing/subscription-schedules.js';
import type { Subscription } from '../billing/subscription-state.js';
import { inRange, type ListParams, listParams, paginate } from '../http/list.js';
import { any, arr, bool, int, metadata, obj, oneOf, required, str, validateParams } from '../http/params.js';
import type { Router } from '../http/router.js';
import type { Sandbox } from '../sandbox.js';

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
  proration_behavior: prorationBehavior,
  metadata: metadata(),
  default_payment_method: str(),
  description: str({ nullable: true }),
});

function requireSchedule(sandbox: Sandbox, id: string): Schedule {
  return sandbox.store.require<Schedule>('subscription_schedules', id, 'subscription_schedule');
}

export function registerSubscriptionSchedules(router: Router): void {
  router.api('POST', '/v1/subscription_schedules', ({ sandbox, body }) => {
    const input = validateParams<ScheduleCreateInput>(
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
    const input = validateParams<ScheduleUpdateInput>(
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
