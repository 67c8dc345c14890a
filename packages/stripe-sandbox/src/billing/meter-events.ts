import { Fraction } from '../arithmetic/fraction.js';
import { errors, StripeError } from '../http/errors.js';
import type { Meter } from '../resources/billing-meters.js';
import type { Sandbox } from '../sandbox.js';
import { newId } from '../state/ids.js';
import type { StoredMeterEvent } from './usage.js';

const PAST_WINDOW_SECONDS = 35 * 24 * 60 * 60;
const FUTURE_WINDOW_SECONDS = 5 * 60;
const DEDUP_WINDOW_SECONDS = 24 * 60 * 60;
/** Stripe accepts cancellations of events received in the last 24 hours. */
export const CANCEL_WINDOW_SECONDS = 24 * 60 * 60;

export interface MeterEventInput {
  event_name: string;
  payload: Record<string, string>;
  identifier?: string;
  timestamp?: number;
}

/**
 * Records one meter event. A repeated `identifier` within the dedup window is answered with the
 * event first recorded and counted only once.
 */
export function activeMeterFor(sandbox: Sandbox, eventName: string, param: string): Meter {
  const meter = sandbox.store
    .all<Meter>('billing_meters')
    .find((candidate) => candidate.event_name === eventName && candidate.status === 'active');
  if (!meter) throw errors.invalidValue(param, `No active meter was found for event name '${eventName}'.`);
  return meter;
}

export function recordMeterEvent(sandbox: Sandbox, input: MeterEventInput, param = ''): StoredMeterEvent {
  const meter = activeMeterFor(sandbox, input.event_name, `${param}event_name`);
  const customerKey = meter.customer_mapping.event_payload_key;
  const valueKey = meter.value_settings.event_payload_key;
  const customerId = input.payload[customerKey];
  if (!customerId) throw errors.missingParameter(`${param}payload[${customerKey}]`);
  sandbox.store.require('customers', customerId, 'customer', `${param}payload[${customerKey}]`);
  const value = input.payload[valueKey] ?? (meter.default_aggregation.formula === 'count' ? '1' : undefined);
  if (value === undefined) throw errors.missingParameter(`${param}payload[${valueKey}]`);
  if (!Fraction.isDecimalText(value))
    throw errors.invalidValue(`${param}payload[${valueKey}]`, `Invalid number: ${value}`);

  const now = sandbox.now(sandbox.clockOfCustomer(customerId));
  const timestamp = input.timestamp ?? now;
  if (timestamp < now - PAST_WINDOW_SECONDS) {
    throw new StripeError(400, {
      type: 'invalid_request_error',
      code: 'timestamp_too_far_in_past',
      param: `${param}timestamp`,
      message: 'Meter event timestamps must be within the past 35 calendar days.',
    });
  }
  if (timestamp > now + FUTURE_WINDOW_SECONDS) {
    throw new StripeError(400, {
      type: 'invalid_request_error',
      code: 'timestamp_in_future',
      param: `${param}timestamp`,
      message: 'Meter event timestamps may be at most 5 minutes in the future.',
    });
  }
  const identifier = input.identifier ?? newId('mev', 20);
  const existing = sandbox.store.get<StoredMeterEvent>('_meter_events', identifier);
  if (existing && Math.floor(Date.now() / 1000) - existing.received_at < DEDUP_WINDOW_SECONDS)
    return existing;
  const event: StoredMeterEvent = {
    id: identifier,
    event_name: input.event_name,
    identifier,
    customer: customerId,
    value,
    timestamp,
    received_at: Math.floor(Date.now() / 1000),
  };
  sandbox.store.put('_meter_events', event);
  return event;
}
