import { isDecimalText } from '@tollgate/core';
import type Stripe from 'stripe';
import type { StoredMeterEvent } from '../billing/usage.js';
import { errors, StripeError } from '../http/errors.js';
import { any, int, required, str, validateParams } from '../http/params.js';
import type { Router } from '../http/router.js';
import type { Sandbox } from '../sandbox.js';
import { newId, randomToken } from '../state/ids.js';
import type { Wire } from '../wire.js';
import type { Meter } from './billing-meters.js';

const PAST_WINDOW_SECONDS = 35 * 24 * 60 * 60;
const FUTURE_WINDOW_SECONDS = 5 * 60;
const DEDUP_WINDOW_SECONDS = 24 * 60 * 60;
const MAX_STREAM_BATCH = 100;

interface MeterEventInput {
  event_name: string;
  payload: Record<string, string>;
  identifier?: string;
  timestamp?: number;
}

/**
 * Records one meter event. A repeated `identifier` within the dedup window is answered with the
 * event first recorded and counted only once.
 */
function recordMeterEvent(sandbox: Sandbox, input: MeterEventInput, param = ''): StoredMeterEvent {
  const meter = sandbox.store
    .all<Meter>('billing_meters')
    .find((candidate) => candidate.event_name === input.event_name && candidate.status === 'active');
  if (!meter)
    throw errors.invalidValue(
      `${param}event_name`,
      `No active meter was found for event name '${input.event_name}'.`,
    );
  const customerKey = meter.customer_mapping.event_payload_key;
  const valueKey = meter.value_settings.event_payload_key;
  const customerId = input.payload[customerKey];
  if (!customerId) throw errors.missingParameter(`${param}payload[${customerKey}]`);
  sandbox.store.require('customers', customerId, 'customer', `${param}payload[${customerKey}]`);
  const value = input.payload[valueKey] ?? (meter.default_aggregation.formula === 'count' ? '1' : undefined);
  if (value === undefined) throw errors.missingParameter(`${param}payload[${valueKey}]`);
  if (!isDecimalText(value))
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

function v1View(
  sandbox: Sandbox,
  event: StoredMeterEvent,
  payload: Record<string, string>,
): Wire<Stripe.Billing.MeterEvent> {
  return {
    object: 'billing.meter_event',
    created: sandbox.now(sandbox.clockOfCustomer(event.customer)),
    event_name: event.event_name,
    identifier: event.identifier,
    livemode: false,
    payload,
    timestamp: event.timestamp,
  };
}

function streamErrorCode(error: StripeError): string {
  if (error.body.code === 'timestamp_too_far_in_past' || error.body.code === 'timestamp_in_future')
    return error.body.code;
  if (error.body.code === 'resource_missing') return 'meter_event_customer_not_found';
  if (error.body.code === 'parameter_missing')
    return error.body.param?.includes('value')
      ? 'meter_event_invalid_value'
      : 'meter_event_no_customer_defined';
  if (error.body.param?.endsWith('event_name')) return 'no_meter';
  return 'meter_event_invalid_value';
}

/**
 * Emits `billing.meter.error_report_triggered`. Stripe sends this as a v2 "thin" event; the sandbox
 * sends it in the v1 envelope, with a summary object, so one webhook handler can read it.
 */
function reportMeterErrors(
  sandbox: Sandbox,
  failures: Array<{ code: string; message: string; identifier: string | null; eventName: string }>,
): void {
  const now = Math.floor(Date.now() / 1000);
  const meter = sandbox.store
    .all<Meter>('billing_meters')
    .find((candidate) => candidate.event_name === failures[0]?.eventName);
  const codes = [...new Set(failures.map((failure) => failure.code))];
  sandbox.emit('billing.meter.error_report_triggered' as Stripe.Event.Type, {
    object: 'billing.meter_error_report',
    meter: meter?.id ?? null,
    validation_start: now,
    validation_end: now,
    reason: {
      error_count: failures.length,
      error_types: codes.map((code) => {
        const matching = failures.filter((failure) => failure.code === code);
        return {
          code,
          error_count: matching.length,
          sample_errors: matching.slice(0, 5).map((failure) => ({
            error_message: failure.message,
            request: { identifier: failure.identifier },
          })),
        };
      }),
    },
  });
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
const fromIso = (text: string | undefined) => (text ? Math.floor(Date.parse(text) / 1000) : undefined);

export function registerMeterEvents(router: Router): void {
  router.api('POST', '/v1/billing/meter_events', ({ sandbox, body }) => {
    const input = validateParams<MeterEventInput>(
      { event_name: required(str()), payload: required(any()), identifier: str(), timestamp: int() },
      body,
    );
    return v1View(sandbox, recordMeterEvent(sandbox, input), input.payload);
  });

  router.api('POST', '/v2/billing/meter_event_session', ({ sandbox }) => {
    const token = `mes_test_${randomToken(40)}`;
    const now = Math.floor(Date.now() / 1000);
    sandbox.store.put('_meter_event_sessions', { id: token, expires_at: now + 15 * 60 });
    return {
      id: newId('mes'),
      object: 'v2.billing.meter_event_session',
      authentication_token: token,
      created: iso(now),
      expires_at: iso(now + 15 * 60),
      livemode: false,
    };
  });

  router.api('POST', '/v2/billing/meter_event_stream', ({ sandbox, body, headers }) => {
    const token = String(headers.authorization ?? '').replace(/^Bearer\s+/, '');
    const session = sandbox.store.get<{ expires_at: number }>('_meter_event_sessions', token);
    if (token.startsWith('mes_') && (!session || session.expires_at < Date.now() / 1000)) {
      throw new StripeError(401, {
        type: 'invalid_request_error',
        code: 'billing_meter_event_session_expired',
        message: 'The meter event session has expired; create a new one.',
      });
    }
    const events = (body as { events?: Array<MeterEventInput & { timestamp?: string }> }).events;
    if (!Array.isArray(events) || events.length === 0) throw errors.missingParameter('events');
    if (events.length > MAX_STREAM_BATCH)
      throw errors.invalidValue('events', `At most ${MAX_STREAM_BATCH} events per request.`);
    // Like Stripe, the stream accepts the batch and reports bad events afterwards, not in the response.
    const failures: Array<{ code: string; message: string; identifier: string | null; eventName: string }> =
      [];
    for (const [index, event] of events.entries()) {
      try {
        recordMeterEvent(sandbox, { ...event, timestamp: fromIso(event.timestamp) }, `events[${index}].`);
      } catch (error) {
        if (!(error instanceof StripeError)) throw error;
        failures.push({
          code: streamErrorCode(error),
          message: error.body.message,
          identifier: event.identifier ?? null,
          eventName: event.event_name,
        });
      }
    }
    if (failures.length > 0) reportMeterErrors(sandbox, failures);
    return {};
  });

  router.api('POST', '/v2/billing/meter_events', ({ sandbox, body }) => {
    const input = body as unknown as MeterEventInput & { timestamp?: string };
    const event = recordMeterEvent(sandbox, { ...input, timestamp: fromIso(input.timestamp) });
    return {
      object: 'v2.billing.meter_event',
      created: iso(Math.floor(event.received_at)),
      event_name: event.event_name,
      identifier: event.identifier,
      livemode: false,
      payload: input.payload,
      timestamp: iso(event.timestamp),
    };
  });
}
