import type Stripe from 'stripe';
import { errors } from '../http/errors.js';
import type { Sandbox } from '../sandbox.js';
import { newId } from '../state/ids.js';
import type { Wire } from '../wire.js';

type Price = Wire<Stripe.Price>;
export type SubscriptionItem = Wire<Stripe.SubscriptionItem>;

/** The legacy `plan` view of a recurring price, which Stripe still embeds in subscription items. */
export function planFromPrice(price: Price): Wire<Stripe.Plan> {
  const recurring = price.recurring ?? {
    interval: 'month',
    interval_count: 1,
    usage_type: 'licensed',
    meter: null,
    trial_period_days: null,
  };
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: price.unit_amount_decimal,
    billing_scheme: price.billing_scheme,
    created: price.created,
    currency: price.currency,
    interval: recurring.interval,
    interval_count: recurring.interval_count,
    livemode: false,
    metadata: price.metadata,
    meter: recurring.meter,
    nickname: price.nickname,
    product: price.product as string,
    tiers_mode: price.tiers_mode,
    transform_usage: price.transform_quantity,
    trial_period_days: recurring.trial_period_days,
    usage_type: recurring.usage_type,
  };
}

export function buildItem(
  sandbox: Sandbox,
  subscriptionId: string,
  price: Price,
  quantity: number | undefined,
  period: { start: number; end: number },
  clockId: string | null,
  metadata: Stripe.Metadata = {},
): SubscriptionItem {
  const metered = price.recurring?.usage_type === 'metered';
  const item: SubscriptionItem = {
    id: newId('si', 14),
    object: 'subscription_item',
    billing_thresholds: null,
    created: sandbox.now(clockId),
    current_period_end: period.end,
    current_period_start: period.start,
    current_trial: null,
    discounts: [],
    metadata,
    plan: planFromPrice(price),
    price,
    subscription: subscriptionId,
    tax_rates: [],
  };
  if (!metered) item.quantity = quantity ?? 1;
  return item;
}

/** Stripe refuses a quantity on a metered price: usage, not quantity, decides what it bills. */
export function refuseMeteredQuantity(price: Price, quantity: number | undefined, param: string): void {
  if (quantity !== undefined && price.recurring?.usage_type === 'metered') {
    throw errors.invalidValue(param, 'You cannot set the quantity for metered plans.');
  }
}
