import type Stripe from 'stripe';
import { reportMeterErrors, streamErrorCode } from '../billing/meter-error-report.js';
import { type MeterEventInput, recordMeterEvent } from '../billing/meter-events.js';
import type { StoredMeterEvent } from '../billing/usage.js';
import { errors, StripeError } from '../http/errors.js';
import { any, int, required, str, validateParams } from '../http/params.js';
import type { Router } from '../http/router.js';
import type { Sandbox } from '../sandbox.js';
import { newId, randomToken } from '../state/ids.js';
import type { Wire } from '../wire.js';

const MAX_STREAM_BATCH = 100;

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
