import type Stripe from 'stripe';
import { meterUsage } from '../billing/usage.js';
import { type ListParams, listParams, paginate } from '../http/list.js';
import { int, obj, oneOf, required, type Spec, str, validateParams } from '../http/params.js';
import type { Router } from '../http/router.js';
import type { Sandbox } from '../sandbox.js';
import { newId } from '../state/ids.js';
import type { Wire } from '../wire.js';

export type Meter = Wire<Stripe.Billing.Meter>;

const createSpec: Record<string, Spec> = {
  display_name: required(str()),
  event_name: required(str()),
  default_aggregation: required(obj({ formula: required(oneOf(['sum', 'count', 'last'])) })),
  customer_mapping: obj({ event_payload_key: required(str()), type: required(oneOf(['by_id'])) }),
  value_settings: obj({ event_payload_key: required(str()) }),
  event_time_window: oneOf(['day', 'hour']),
};

interface MeterInput {
  display_name: string;
  event_name: string;
  default_aggregation: { formula: Stripe.Billing.Meter.DefaultAggregation.Formula };
  customer_mapping?: { event_payload_key: string; type: 'by_id' };
  value_settings?: { event_payload_key: string };
  event_time_window?: Stripe.Billing.Meter.EventTimeWindow;
}

function setStatus(sandbox: Sandbox, meter: Meter, status: 'active' | 'inactive'): Meter {
  meter.status = status;
  meter.status_transitions.deactivated_at = status === 'inactive' ? sandbox.now() : null;
  meter.updated = sandbox.now();
  sandbox.store.put('billing_meters', meter);
  sandbox.emit(status === 'active' ? 'billing.meter.reactivated' : 'billing.meter.deactivated', meter);
  return meter;
}

export function registerBillingMeters(router: Router): void {
  router.api('POST', '/v1/billing/meters', ({ sandbox, body }) => {
    const input = validateParams<MeterInput>(createSpec, body);
    const now = sandbox.now();
    const meter: Meter = {
      id: newId('mtr_test', 24),
      object: 'billing.meter',
      created: now,
      customer_mapping: input.customer_mapping ?? { event_payload_key: 'stripe_customer_id', type: 'by_id' },
      default_aggregation: input.default_aggregation,
      display_name: input.display_name,
      event_name: input.event_name,
      event_time_window: input.event_time_window ?? null,
      livemode: false,
      status: 'active',
      status_transitions: { deactivated_at: null },
      updated: now,
      value_settings: input.value_settings ?? { event_payload_key: 'value' },
    };
    sandbox.store.insert('billing_meters', meter);
    sandbox.emit('billing.meter.created', meter);
    return meter;
  });
  router.api('GET', '/v1/billing/meters/:id', ({ sandbox, params }) =>
    sandbox.store.require<Meter>('billing_meters', params.id as string, 'billing meter'),
  );
  router.api('POST', '/v1/billing/meters/:id', ({ sandbox, body, params }) => {
    const meter = sandbox.store.require<Meter>('billing_meters', params.id as string, 'billing meter');
    const input = validateParams<{ display_name?: string }>({ display_name: str() }, body);
    if (input.display_name !== undefined) meter.display_name = input.display_name;
    meter.updated = sandbox.now();
    sandbox.store.put('billing_meters', meter);
    sandbox.emit('billing.meter.updated', meter);
    return meter;
  });
  router.api('POST', '/v1/billing/meters/:id/deactivate', ({ sandbox, params }) =>
    setStatus(
      sandbox,
      sandbox.store.require<Meter>('billing_meters', params.id as string, 'billing meter'),
      'inactive',
    ),
  );
  router.api('POST', '/v1/billing/meters/:id/reactivate', ({ sandbox, params }) =>
    setStatus(
      sandbox,
      sandbox.store.require<Meter>('billing_meters', params.id as string, 'billing meter'),
      'active',
    ),
  );
  router.api('GET', '/v1/billing/meters', ({ sandbox, body }) => {
    const params = validateParams<ListParams & { status?: string }>(
      { ...listParams, status: oneOf(['active', 'inactive']) },
      body,
    );
    const rows = sandbox.store
      .all<Meter>('billing_meters')
      .filter((meter) => params.status === undefined || meter.status === params.status);
    return paginate(rows, params, '/v1/billing/meters');
  });
  router.api('GET', '/v1/billing/meters/:id/event_summaries', ({ sandbox, body, params }) => {
    const meter = sandbox.store.require<Meter>('billing_meters', params.id as string, 'billing meter');
    const input = validateParams<
      ListParams & {
        customer: string;
        start_time: number;
        end_time: number;
        value_grouping_window?: 'day' | 'hour';
      }
    >(
      {
        ...listParams,
        customer: required(str()),
        start_time: required(int()),
        end_time: required(int()),
        value_grouping_window: oneOf(['day', 'hour']),
      },
      body,
    );
    const step =
      input.value_grouping_window === 'hour' ? 3600 : input.value_grouping_window === 'day' ? 86_400 : null;
    const windows: Array<[number, number]> = [];
    if (step === null) windows.push([input.start_time, input.end_time]);
    else
      for (let start = input.start_time; start < input.end_time; start += step)
        windows.push([start, Math.min(start + step, input.end_time)]);
    const summaries: Wire<Stripe.Billing.MeterEventSummary>[] = windows.reverse().map(([start, end]) => ({
      id: newId('mtrusg_test'),
      object: 'billing.meter_event_summary',
      aggregated_value: meterUsage(sandbox, meter, input.customer, start, end).toNumber(),
      end_time: end,
      livemode: false,
      meter: meter.id,
      start_time: start,
    }));
    return paginate(summaries, {}, `/v1/billing/meters/${meter.id}/event_summaries`);
  });
}
