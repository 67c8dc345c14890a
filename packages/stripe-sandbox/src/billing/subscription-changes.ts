import type Stripe from 'stripe';
import { Fraction, roundMinorUnits } from '../arithmetic/fraction.js';
import { errors } from '../http/errors.js';
import { mergeMetadata } from '../resources/common.js';
import { resolveCustomerPaymentMethod } from '../resources/payment-methods.js';
import type { Sandbox } from '../sandbox.js';
import type { Wire } from '../wire.js';
import { attemptInvoicePayment, createInvoice } from './invoices.js';
import { prorationItem } from './prorations.js';
import { amountForQuantity } from './rating.js';
import { buildItem, refuseMeteredQuantity } from './subscription-items.js';
import { pendingItemLines, productName } from './subscription-lines.js';
import { renewSubscription } from './subscription-renewal.js';
import {
  clockOfSubscription,
  endSubscription,
  type Subscription,
  saveWithUpdate,
} from './subscription-state.js';

type Price = Wire<Stripe.Price>;

export interface SubscriptionChange {
  items?: {
    id?: string;
    price?: string;
    quantity?: number;
    deleted?: boolean;
    metadata?: Record<string, string | null>;
  }[];
  proration_behavior?: 'create_prorations' | 'none' | 'always_invoice';
  proration_date?: number;
  cancel_at_period_end?: boolean;
  cancel_at?: number | null;
  cancellation_details?: { comment?: string | null; feedback?: string | null };
  default_payment_method?: string | null;
  metadata?: Record<string, string | null> | null;
  trial_end?: string;
  description?: string | null;
  automatic_tax?: { enabled: boolean };
}

/**
 * Applies an update. Price or quantity changes on licensed items, mid-period, credit the unused time of
 * the old price and charge the remaining time of the new one (`create_prorations`: on the next invoice;
 * `always_invoice`: invoiced and charged now; `none`: not at all).
 */
export function changeSubscription(
  sandbox: Sandbox,
  subscription: Subscription,
  change: SubscriptionChange,
): Subscription {
  if (
    subscription.status === 'canceled' &&
    Object.keys(change).some((key) => key !== 'metadata' && key !== 'expand')
  ) {
    throw errors.stateConflict('A canceled subscription can only update its metadata.');
  }
  if (
    subscription.schedule &&
    (change.cancel_at_period_end !== undefined || change.cancel_at !== undefined)
  ) {
    throw errors.stateConflict(
      `The subscription is managed by the subscription schedule \`${subscription.schedule as string}\`, and updating any cancelation behavior directly is not allowed. Please update the schedule instead.`,
    );
  }
  const clockId = clockOfSubscription(subscription);
  const now = change.proration_date ?? sandbox.now(clockId);
  const before = structuredClone(subscription);
  const behavior = change.proration_behavior ?? 'create_prorations';
  const first = subscription.items.data[0];
  const period = first
    ? { start: first.current_period_start, end: first.current_period_end }
    : { start: now, end: now };
  const fraction = Fraction.max(
    0,
    Fraction.min(1, Fraction.of(period.end - now).div(Math.max(1, period.end - period.start))),
  );
  const prorate = behavior !== 'none' && subscription.status !== 'trialing' && fraction.gt(0);
  const date = new Date(now * 1000).toISOString().slice(0, 10);

  (change.items ?? []).forEach((itemChange, index) => {
    const existing = itemChange.id
      ? subscription.items.data.find((item) => item.id === itemChange.id)
      : undefined;
    if (itemChange.id && !existing)
      throw errors.resourceMissing('subscription item', itemChange.id, `items[${index}][id]`);
    const newPrice = itemChange.price
      ? sandbox.store.require<Price>('prices', itemChange.price, 'price', `items[${index}][price]`)
      : (existing?.price as Price | undefined);
    if (!newPrice) throw errors.missingParameter(`items[${index}][price]`);
    refuseMeteredQuantity(newPrice, itemChange.quantity, `items[${index}][quantity]`);
    const oldQuantity = existing?.quantity ?? 0;
    const newQuantity = itemChange.deleted ? 0 : (itemChange.quantity ?? existing?.quantity ?? 1);
    const licensed = newPrice.recurring?.usage_type !== 'metered';
    if (prorate && licensed && existing) {
      const oldAmount = roundMinorUnits(
        amountForQuantity(existing.price as Price, oldQuantity).times(fraction),
      );
      if (oldAmount !== 0) {
        prorationItem(
          sandbox,
          subscription,
          existing.id,
          existing.price as Price,
          -oldAmount,
          oldQuantity,
          { start: now, end: period.end },
          `Unused time on ${oldQuantity} × ${productName(sandbox, existing.price as Price)} after ${date}`,
        );
      }
    }
    if (itemChange.deleted) {
      subscription.items.data = subscription.items.data.filter((item) => item.id !== existing?.id);
      return;
    }
    let target = existing;
    if (!target) {
      target = buildItem(sandbox, subscription.id, newPrice, newQuantity, period, clockId);
      subscription.items.data.push(target);
    } else {
      target.price = newPrice;
      target.plan = buildItem(sandbox, subscription.id, newPrice, newQuantity, period, clockId).plan;
      if (licensed) target.quantity = newQuantity;
      else delete target.quantity;
    }
    if (itemChange.metadata !== undefined)
      target.metadata = mergeMetadata(target.metadata, itemChange.metadata);
    if (prorate && licensed) {
      const newAmount = roundMinorUnits(amountForQuantity(newPrice, newQuantity).times(fraction));
      if (newAmount !== 0) {
        prorationItem(
          sandbox,
          subscription,
          target.id,
          newPrice,
          newAmount,
          newQuantity,
          { start: now, end: period.end },
          `Remaining time on ${newQuantity} × ${productName(sandbox, newPrice)} after ${date}`,
        );
      }
    }
  });

  if (change.cancel_at_period_end !== undefined) {
    subscription.cancel_at_period_end = change.cancel_at_period_end;
    subscription.canceled_at = change.cancel_at_period_end ? sandbox.now(clockId) : null;
    if (!change.cancel_at_period_end)
      subscription.cancellation_details = {
        comment: null,
        feedback: null,
        feedback_option: null,
        reason: null,
      };
  }
  if (change.cancel_at !== undefined) subscription.cancel_at = change.cancel_at;
  if (change.cancellation_details) {
    subscription.cancellation_details = {
      comment: change.cancellation_details.comment ?? null,
      feedback: (change.cancellation_details.feedback ??
        null) as Stripe.Subscription.CancellationDetails.Feedback | null,
      feedback_option: null,
      reason: subscription.cancellation_details?.reason ?? null,
    };
  }
  if (change.default_payment_method !== undefined) {
    subscription.default_payment_method =
      change.default_payment_method === null
        ? null
        : resolveCustomerPaymentMethod(
            sandbox,
            change.default_payment_method,
            subscription.customer as string,
            'default_payment_method',
          ).id;
  }
  if (change.metadata !== undefined)
    subscription.metadata = mergeMetadata(subscription.metadata, change.metadata);
  if (change.description !== undefined) subscription.description = change.description;
  if (change.automatic_tax) subscription.automatic_tax.enabled = change.automatic_tax.enabled;
  const endTrialNow = change.trial_end === 'now' && subscription.status === 'trialing';
  if (endTrialNow) {
    subscription.trial_end = now;
    for (const item of subscription.items.data) item.current_period_end = now;
  }
  saveWithUpdate(sandbox, subscription, before);

  if (behavior === 'always_invoice' && prorate) {
    const invoice = createInvoice(sandbox, {
      customer: subscription.customer as string,
      subscription: subscription.id,
      lines: pendingItemLines(sandbox, subscription, null),
      billingReason: 'subscription_update',
      periodStart: now,
      periodEnd: now,
      automaticTax: subscription.automatic_tax.enabled,
    });
    pendingItemLines(sandbox, subscription, invoice.id);
    subscription.latest_invoice = invoice.id;
    sandbox.store.put('subscriptions', subscription);
    attemptInvoicePayment(sandbox, invoice);
  }
  if (endTrialNow) renewSubscription(sandbox, subscription);
  if (subscription.status === 'canceled') return subscription;
  if (subscription.cancel_at !== null && subscription.cancel_at <= sandbox.now(clockId)) {
    endSubscription(sandbox, subscription, 'cancellation_requested');
  }
  return subscription;
}
