import type Stripe from 'stripe';
import { errors } from '../http/errors.js';
import type { Sandbox } from '../sandbox.js';
import { newId } from '../state/ids.js';
import type { Wire } from '../wire.js';
import { addInterval } from './periods.js';
import { refuseMeteredQuantity } from './subscription-items.js';
import type { Subscription } from './subscription-state.js';

type Price = Wire<Stripe.Price>;
export type Schedule = Wire<Stripe.SubscriptionSchedule>;
export type Phase = Wire<Stripe.SubscriptionSchedule.Phase>;
export type ProrationBehavior = 'create_prorations' | 'none' | 'always_invoice';

export interface PhaseInput {
  items: { price?: string; plan?: string; quantity?: number; metadata?: Record<string, string | null> }[];
  start_date?: number | 'now';
  end_date?: number | 'now';
  duration?: { interval: 'day' | 'week' | 'month' | 'year'; interval_count?: number };
  proration_behavior?: ProrationBehavior;
  metadata?: Record<string, string | null>;
  default_payment_method?: string;
  description?: string | null;
}

/** Which phase the scheduler applied last; kept beside the schedule, never shown. */
interface Progress {
  id: string;
  phaseIndex: number;
}

export function progressOf(sandbox: Sandbox, scheduleId: string): number {
  return sandbox.store.get<Progress>('_schedule_progress', scheduleId)?.phaseIndex ?? 0;
}

export function setProgress(sandbox: Sandbox, scheduleId: string, phaseIndex: number): void {
  sandbox.store.put('_schedule_progress', { id: scheduleId, phaseIndex });
}

function phaseItem(price: Price, quantity: number | undefined, metadata: Stripe.Metadata) {
  const item: Phase['items'][number] = {
    billing_thresholds: null,
    discounts: [],
    metadata,
    plan: price.id,
    price: price.id,
    tax_rates: [],
  };
  if (price.recurring?.usage_type !== 'metered') item.quantity = quantity ?? 1;
  return item;
}

function cleanMetadata(input: Record<string, string | null> | undefined): Stripe.Metadata {
  const result: Stripe.Metadata = {};
  for (const [key, value] of Object.entries(input ?? {})) if (value !== null) result[key] = value;
  return result;
}

function buildPhase(
  prices: Price[],
  input: PhaseInput,
  start: number,
  end: number,
  defaultProration: ProrationBehavior,
): Phase {
  return {
    add_invoice_items: [],
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: null,
    billing_thresholds: null,
    collection_method: null,
    currency: (prices[0] as Price).currency,
    default_payment_method: input.default_payment_method ?? null,
    default_tax_rates: [],
    description: input.description ?? null,
    discounts: [],
    end_date: end,
    invoice_settings: null,
    items: input.items.map((item, index) =>
      phaseItem(prices[index] as Price, item.quantity, cleanMetadata(item.metadata)),
    ),
    metadata: cleanMetadata(input.metadata),
    on_behalf_of: null,
    proration_behavior: input.proration_behavior ?? defaultProration,
    start_date: start,
    transfer_data: null,
    trial_end: null,
  };
}

function phaseEnd(input: PhaseInput, start: number, firstPrice: Price, now: number, param: string): number {
  if (input.end_date !== undefined) {
    const end = input.end_date === 'now' ? now : input.end_date;
    if (end <= start)
      throw errors.invalidValue(
        `${param}[end_date]`,
        'The end_date of a phase must be after its start_date.',
      );
    return end;
  }
  if (input.duration) return addInterval(start, input.duration.interval, input.duration.interval_count ?? 1);
  const recurring = firstPrice.recurring;
  if (!recurring)
    throw errors.invalidValue(`${param}[items]`, `The price ${firstPrice.id} is not recurring.`);
  // Without an end, a phase lasts one billing period of its first price, as the older `iterations: 1`
  // default did (API version 2025-09-30 removed `iterations`; `duration` replaces it).
  return addInterval(start, recurring.interval, recurring.interval_count);
}

/**
 * Turns requested phases into stored ones: each starts where the one before ends (the first at
 * `firstStart` unless it names its own start), and ends at `end_date`, after `duration`, or after
 * one billing period of its first price.
 */
export function resolvePhases(
  sandbox: Sandbox,
  inputs: PhaseInput[],
  firstStart: number,
  now: number,
  defaultProration: ProrationBehavior,
  firstIndex = 0,
): Phase[] {
  if (inputs.length === 0) throw errors.missingParameter('phases');
  const phases: Phase[] = [];
  let start = firstStart;
  inputs.forEach((input, offset) => {
    const param = `phases[${firstIndex + offset}]`;
    if (input.items.length === 0) throw errors.missingParameter(`${param}[items]`);
    if (offset > 0 && input.start_date !== undefined && input.start_date !== start) {
      throw errors.invalidValue(
        `${param}[start_date]`,
        'The start_date of a phase must equal the end_date of the phase before it.',
      );
    }
    const prices = input.items.map((item, index) => {
      const id = item.price ?? item.plan;
      if (!id) throw errors.missingParameter(`${param}[items][${index}][price]`);
      const price = sandbox.store.require<Price>('prices', id, 'price', `${param}[items][${index}][price]`);
      refuseMeteredQuantity(price, item.quantity, `${param}[items][${index}][quantity]`);
      return price;
    });
    const end = phaseEnd(input, start, prices[0] as Price, now, param);
    phases.push(buildPhase(prices, input, start, end, defaultProration));
    start = end;
  });
  return phases;
}

/** The phase a subscription is in today, as Stripe shows it (`from_subscription`). */
export function phaseOfSubscription(subscription: Subscription): PhaseInput & { start: number; end: number } {
  const first = subscription.items.data[0];
  if (!first) throw errors.invalidValue('from_subscription', 'The subscription has no items.');
  return {
    start: first.current_period_start,
    end: first.current_period_end,
    end_date: first.current_period_end,
    items: subscription.items.data.map((item) => ({ price: item.price.id, quantity: item.quantity })),
  };
}

export function newSchedule(
  sandbox: Sandbox,
  customer: string,
  clockId: string | null,
  phases: Phase[],
  endBehavior: Stripe.SubscriptionSchedule.EndBehavior,
  metadata: Stripe.Metadata,
): Schedule {
  return {
    id: newId('sub_sched'),
    object: 'subscription_schedule',
    application: null,
    billing_mode: { flexible: null, type: 'classic' },
    canceled_at: null,
    completed_at: null,
    created: sandbox.now(clockId),
    current_phase: null,
    customer,
    customer_account: null,
    default_settings: {
      application_fee_percent: null,
      automatic_tax: { disabled_reason: null, enabled: false, liability: null },
      billing_cycle_anchor: 'automatic',
      billing_thresholds: null,
      collection_method: 'charge_automatically',
      default_payment_method: null,
      description: null,
      invoice_settings: {
        account_tax_ids: null,
        custom_fields: null,
        days_until_due: null,
        description: null,
        footer: null,
        issuer: { type: 'self' },
      },
      on_behalf_of: null,
      transfer_data: null,
    },
    end_behavior: endBehavior,
    livemode: false,
    metadata,
    pause_schedules: [],
    phases,
    released_at: null,
    released_subscription: null,
    status: 'not_started',
    subscription: null,
    test_clock: clockId,
  };
}
