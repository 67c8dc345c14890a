import type Stripe from 'stripe';
import { Fraction } from '../arithmetic/fraction.js';
import type { Sandbox } from '../sandbox.js';
import type { Wire } from '../wire.js';

/** A meter event as the sandbox keeps it: the customer and value already read from the payload. */
export interface StoredMeterEvent {
  id: string;
  event_name: string;
  identifier: string;
  customer: string;
  value: string;
  timestamp: number;
  received_at: number;
  /** Set by a meter event adjustment of type `cancel`: the event no longer counts anywhere. */
  canceled?: boolean;
}

/** Aggregates a customer's events for a meter over [start, end) with the meter's formula. */
export function meterUsage(
  sandbox: Sandbox,
  meter: Wire<Stripe.Billing.Meter>,
  customerId: string,
  start: number,
  end: number,
): Fraction {
  const events = sandbox.store
    .all<StoredMeterEvent>('_meter_events')
    .filter(
      (event) =>
        event.event_name === meter.event_name &&
        !event.canceled &&
        event.customer === customerId &&
        event.timestamp >= start &&
        event.timestamp < end,
    );
  switch (meter.default_aggregation.formula) {
    case 'count':
      return Fraction.of(events.length);
    case 'last': {
      const latest = [...events].sort((a, b) => a.timestamp - b.timestamp).at(-1);
      return latest ? Fraction.of(latest.value) : Fraction.of(0);
    }
    default:
      return events.reduce((total, event) => total.plus(event.value), Fraction.of(0));
  }
}
