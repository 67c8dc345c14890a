import type Stripe from 'stripe';
import type { StripeError } from '../http/errors.js';
import type { Meter } from '../resources/billing-meters.js';
import type { Sandbox } from '../sandbox.js';

export function streamErrorCode(error: StripeError): string {
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
export function reportMeterErrors(
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
