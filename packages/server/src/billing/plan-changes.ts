import { type BillingInterval, decidePlanChange, type PlanAndInterval } from '@tollgate/core';
import type Stripe from 'stripe';
import { withTransaction } from '../db/transaction.js';
import { AppError, conflict } from '../errors.js';
import type { AppContext } from '../http/context.js';
import { getOrganization } from '../organizations/service.js';
import { callStripe, requireStripe } from '../stripe/stripe-errors.js';
import type { StripeGateway } from '../stripe/stripe-gateway.js';
import type { SubscriptionRow } from '../subscriptions/assign-plan.js';
import { applyStripeSubscription, stripeNowFor } from './apply-stripe-subscription.js';
import { isProration, taxOf } from './invoice-mirror.js';
import { type PlanPriceIds, planPriceIds } from './plan-prices.js';
import { planItemOf } from './price-plans.js';

/** The organization's live Stripe subscription, or 409 when it pays nothing through Stripe. */
export async function liveStripeSubscription(
  context: AppContext,
  organizationId: string,
): Promise<SubscriptionRow> {
  const organization = await getOrganization(context.db, organizationId);
  const live = organization.subscription;
  if (!live?.stripeSubscriptionId || live.source !== 'stripe') {
    throw conflict(
      'no_stripe_subscription',
      `organization "${organizationId}" has no Stripe subscription; start one with POST …/checkout`,
    );
  }
  return live;
}

/** Items of `subscription` replaced by the target plan's: existing items are deleted, the new ones added. */
function replacementItems(
  subscription: Stripe.Subscription,
  prices: PlanPriceIds,
): Stripe.SubscriptionUpdateParams.Item[] {
  const planItem = planItemOf(subscription);
  const wanted = new Set(prices.metered);
  return [
    { ...(planItem && { id: planItem.id }), price: prices.plan, quantity: 1 },
    ...subscription.items.data
      .filter((item) => item.id !== planItem?.id && !wanted.has(item.price.id))
      .map((item) => ({ id: item.id, deleted: true })),
    ...prices.metered
      .filter((price) => !subscription.items.data.some((item) => item.price.id === price))
      .map((price) => ({ price })),
  ];
}

/** A schedule Tollgate set up for a downgrade is released before any other change. */
async function releaseSchedule(gateway: StripeGateway, subscription: Stripe.Subscription): Promise<void> {
  const schedule = subscription.schedule;
  if (!schedule) return;
  await gateway.stripe.subscriptionSchedules.release(typeof schedule === 'string' ? schedule : schedule.id);
}

export async function applyFresh(
  context: AppContext,
  gateway: StripeGateway,
  organizationId: string,
  subscriptionId: string,
  actor: string,
) {
  const fresh = await gateway.stripe.subscriptions.retrieve(subscriptionId);
  // Read now, so it is current as of Stripe's present; if a webhook applied something newer meanwhile, it is re-read.
  const stateAt = await stripeNowFor(gateway, fresh);
  await withTransaction(context.db, (tx) =>
    applyStripeSubscription(tx, {
      gateway,
      catalog: context.catalog,
      organizationId,
      subscription: fresh,
      stateAt,
      actor,
      now: context.now(),
    }),
  );
  context.metering.checks.invalidateBilling([organizationId]);
}

/** The organization's Stripe subscription and what moving it to `target` means; refusals as 400/409. */
async function plannedChange(context: AppContext, organizationId: string, target: PlanAndInterval) {
  const live = await liveStripeSubscription(context, organizationId);
  const decision = decidePlanChange(
    context.catalog,
    { plan: live.planCode, interval: live.interval },
    target,
  );
  if (!decision.ok) {
    const status = decision.code === 'no_change' || decision.code === 'legacy_plan' ? 409 : 400;
    throw new AppError(
      decision.code,
      status,
      decision.message,
      status === 400 ? { field: 'plan' } : undefined,
    );
  }
  return { subscriptionId: live.stripeSubscriptionId as string, decision };
}

export type PlanChangeResult = { timing: 'now' | 'period_end'; direction: string };

/**
 * Moves a Stripe subscription to another plan: more per year applies now with proration (Stripe
 * invoices the difference at once); less waits for the period end through a subscription schedule,
 * shown as `scheduled_change`. Tollgate applies the outcome from Stripe's answer, and the webhooks
 * that follow find it already applied.
 */
export async function changePlan(
  context: AppContext,
  organizationId: string,
  target: PlanAndInterval,
  actor: string,
): Promise<PlanChangeResult> {
  const gateway = requireStripe(context);
  const { subscriptionId, decision } = await plannedChange(context, organizationId, target);
  await callStripe(async () => {
    const items = await planPriceIds(context, target);
    const subscription = await gateway.stripe.subscriptions.retrieve(subscriptionId);
    await releaseSchedule(gateway, subscription);
    if (decision.timing === 'now') {
      await gateway.stripe.subscriptions.update(subscriptionId, {
        items: replacementItems(subscription, items),
        proration_behavior: 'always_invoice',
        cancel_at_period_end: false,
      });
      return;
    }
    await scheduleAtPeriodEnd(gateway, subscriptionId, items, target.interval as BillingInterval);
  });
  await applyFresh(context, gateway, organizationId, subscriptionId, actor);
  return { timing: decision.timing, direction: decision.direction };
}

/**
 * Moves `subscriptionId` to `items` at the end of its current period, through a subscription
 * schedule: its first phase keeps today's items until then, the second bills the new ones.
 */
export async function scheduleAtPeriodEnd(
  gateway: StripeGateway,
  subscriptionId: string,
  items: PlanPriceIds,
  interval: BillingInterval,
  options: { idempotencyKey?: string } = {},
): Promise<void> {
  const subscription = await gateway.stripe.subscriptions.retrieve(subscriptionId);
  const current = planItemOf(subscription);
  if (!current)
    throw new AppError('stripe_error', 502, `Stripe subscription ${subscriptionId} has no plan item`);
  const schedule = await gateway.stripe.subscriptionSchedules.create(
    { from_subscription: subscriptionId },
    options.idempotencyKey ? { idempotencyKey: `${options.idempotencyKey}_create` } : undefined,
  );
  await gateway.stripe.subscriptionSchedules.update(
    schedule.id,
    {
      end_behavior: 'release',
      proration_behavior: 'none',
      phases: [
        {
          items: subscription.items.data.map((item) => ({
            price: item.price.id,
            ...(item.price.recurring?.usage_type === 'metered' ? {} : { quantity: item.quantity ?? 1 }),
          })),
          // The phase the schedule began with: Stripe refuses a first phase that starts elsewhere.
          start_date: schedule.phases[0]?.start_date ?? current.current_period_start,
          end_date: current.current_period_end,
        },
        {
          items: [{ price: items.plan, quantity: 1 }, ...items.metered.map((price) => ({ price }))],
          duration: { interval, interval_count: 1 },
        },
      ],
    },
    options.idempotencyKey ? { idempotencyKey: `${options.idempotencyKey}_phases` } : undefined,
  );
}

/** Cancels at the period end (the default: the customer keeps what they paid for) or at once. */
export async function cancelSubscription(
  context: AppContext,
  organizationId: string,
  atPeriodEnd: boolean,
  actor: string,
): Promise<void> {
  const gateway = requireStripe(context);
  const live = await liveStripeSubscription(context, organizationId);
  const subscriptionId = live.stripeSubscriptionId as string;
  await callStripe(async () => {
    const subscription = await gateway.stripe.subscriptions.retrieve(subscriptionId);
    // A pending downgrade and a cancellation cannot both stand: cancelling withdraws the downgrade.
    await releaseSchedule(gateway, subscription);
    if (atPeriodEnd)
      await gateway.stripe.subscriptions.update(subscriptionId, { cancel_at_period_end: true });
    else await gateway.stripe.subscriptions.cancel(subscriptionId, { invoice_now: true, prorate: true });
  });
  await applyFresh(context, gateway, organizationId, subscriptionId, actor);
}

export type PlanChangePreview = {
  timing: 'now' | 'period_end';
  amount_due: number;
  currency: string;
  subtotal: number;
  tax: number;
  total: number;
  lines: {
    description: string | null;
    amount: number;
    proration: boolean;
    period_start: string;
    period_end: string;
  }[];
};

/** Stripe's own prorated preview of a plan change: what would be invoiced now, or at the renewal. */
export async function previewPlanChange(
  context: AppContext,
  organizationId: string,
  target: PlanAndInterval,
): Promise<PlanChangePreview> {
  const gateway = requireStripe(context);
  const { subscriptionId, decision } = await plannedChange(context, organizationId, target);
  const invoice = await callStripe(async () => {
    const items = await planPriceIds(context, target);
    const subscription = await gateway.stripe.subscriptions.retrieve(subscriptionId);
    return gateway.stripe.invoices.createPreview({
      subscription: subscriptionId,
      subscription_details: {
        items: replacementItems(subscription, items),
        proration_behavior: decision.timing === 'now' ? 'always_invoice' : 'none',
      },
    });
  });
  const tax = taxOf(invoice);
  return {
    timing: decision.timing,
    amount_due: invoice.amount_due,
    currency: invoice.currency,
    subtotal: invoice.subtotal,
    tax,
    total: invoice.total,
    lines: invoice.lines.data.map((line) => ({
      description: line.description,
      amount: line.amount,
      proration: isProration(line),
      period_start: new Date(line.period.start * 1000).toISOString(),
      period_end: new Date(line.period.end * 1000).toISOString(),
    })),
  };
}
