import type Stripe from 'stripe';
import { activeMeterFor, CANCEL_WINDOW_SECONDS } from '../billing/meter-events.js';
import type { StoredMeterEvent } from '../billing/usage.js';
import { errors } from '../http/errors.js';
import { obj, oneOf, required, str, validateParams } from '../http/params.js';
import type { Router } from '../http/router.js';
import type { Wire } from '../wire.js';

type Adjustment = Wire<Stripe.Billing.MeterEventAdjustment>;

interface CreateInput {
  event_name: string;
  type: 'cancel';
  cancel?: { identifier: string };
}

/**
 * `type: cancel` removes one meter event, named by its `identifier`, from every aggregation: event
 * summaries and the usage rated on invoices. Stripe applies adjustments asynchronously and answers
 * `pending`; the sandbox applies them at once and answers the same. Like Stripe, it accepts an
 * identifier it does not know, or one received more than 24 hours ago, and then changes nothing.
 */
export function registerMeterEventAdjustments(router: Router): void {
  router.api('POST', '/v1/billing/meter_event_adjustments', ({ sandbox, body }) => {
    const input = validateParams<CreateInput>(
      {
        event_name: required(str()),
        type: required(oneOf(['cancel'])),
        cancel: obj({ identifier: required(str()) }),
      },
      body,
    );
    activeMeterFor(sandbox, input.event_name, 'event_name');
    const identifier = input.cancel?.identifier;
    if (!identifier) throw errors.missingParameter('cancel');
    const event = sandbox.store.get<StoredMeterEvent>('_meter_events', identifier);
    const now = Math.floor(Date.now() / 1000);
    if (event && event.event_name === input.event_name && now - event.received_at <= CANCEL_WINDOW_SECONDS) {
      event.canceled = true;
      sandbox.store.put('_meter_events', event);
    }
    const adjustment: Adjustment = {
      object: 'billing.meter_event_adjustment',
      cancel: { identifier },
      event_name: input.event_name,
      livemode: false,
      status: 'pending',
      type: 'cancel',
    };
    return adjustment;
  });
}
