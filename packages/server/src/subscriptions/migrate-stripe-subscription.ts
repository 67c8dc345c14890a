import { createHash } from 'node:crypto';
import {
  type BillingInterval,
  overagePriceLookupKey,
  planPriceLookupKey,
  STRIPE_METADATA,
} from '@tollgate/core';
import type Stripe from 'stripe';
import { AppError, conflict } from '../errors.js';
import type { AppContext } from '../http/context.js';
import { stripePriceIdFor } from '../stripe/catalog/stripe-catalog-ids.js';
import type { SubscriptionRow } from './assign-plan.js';

export type MigrationTarget = { planCode: string; interval: BillingInterval; retired: boolean };

export const nothingToMigrate = (organizationId: string) =>
  conflict(
    'nothing_to_migrate',
    `organization "${organizationId}" is already on the current version of that plan and interval`,
  );

const stripeFailure = (error: unknown) => {
  const type = (error as { type?: unknown } | null)?.type;
  return type === 'StripeConnectionError' || type === 'StripeAPIError' || type === 'StripeRateLimitError'
    ? new AppError('stripe_unavailable', 503, 'Stripe could not be reached; try again')
    : new AppError('stripe_error', 502, `Stripe refused the change: ${(error as Error).message}`);
};

/** The Stripe price of the plan item (not an overage item) of a Stripe subscription. */
function planItemOf(subscription: Stripe.Subscription): Stripe.SubscriptionItem | undefined {
  const items = subscription.items.data;
  return (
    items.find(
      (item) => item.price.metadata[STRIPE_METADATA.plan] && !item.price.metadata[STRIPE_METADATA.feature],
    ) ?? items.find((item) => item.price.recurring?.usage_type !== 'metered')
  );
}

/**
 * A Stripe subscriber moves by changing Stripe's subscription, without proration: the new price
 * from now on, its overage prices in place of the old ones. Tollgate's subscription follows when
 * Stripe's webhook arrives, as for any other change of a Stripe subscription.
 */
export async function migrateStripeSubscription(
  context: AppContext,
  current: SubscriptionRow,
  target: MigrationTarget,
): Promise<{ stripeSubscriptionId: string; stripePriceId: string }> {
  const gateway = context.stripe;
  if (!gateway || !current.stripeSubscriptionId) {
    throw new AppError(
      'stripe_not_configured',
      503,
      'this subscription is billed by Stripe, which is not configured',
    );
  }
  const lookupKey = planPriceLookupKey(target.planCode, target.interval);
  const priceId = await stripePriceIdFor(context, lookupKey).catch((error: unknown) => {
    throw stripeFailure(error);
  });
  if (!priceId) {
    throw conflict(
      'plan_not_billable',
      `no Stripe price has lookup key ${lookupKey}: a free plan is reached by cancelling the subscription, a paid one after \`tollgate stripe sync\``,
    );
  }
  if (!target.retired && current.stripePriceId === priceId) throw nothingToMigrate(current.organizationId);
  const overagePrices: string[] = [];
  for (const featureCode of Object.keys(context.catalog.plan(target.planCode)?.features ?? {})) {
    const overage = await stripePriceIdFor(
      context,
      overagePriceLookupKey(target.planCode, featureCode, target.interval),
    ).catch((error: unknown) => {
      throw stripeFailure(error);
    });
    if (overage) overagePrices.push(overage);
  }
  try {
    const subscription = await gateway.stripe.subscriptions.retrieve(current.stripeSubscriptionId);
    const planItem = planItemOf(subscription);
    if (!planItem) throw conflict('no_plan_item', `Stripe subscription ${subscription.id} has no plan item`);
    const overageItems = subscription.items.data.filter(
      (item) => item.id !== planItem.id && item.price.metadata[STRIPE_METADATA.feature],
    );
    // Overage items the target plan prices the same stay; the others give way to the target's.
    const kept = new Set(
      overageItems.map((item) => item.price.id).filter((id) => overagePrices.includes(id)),
    );
    const items: Stripe.SubscriptionUpdateParams.Item[] = [
      { id: planItem.id, price: priceId },
      ...overageItems
        .filter((item) => !kept.has(item.price.id))
        .map((item) => ({ id: item.id, deleted: true })),
      ...overagePrices.filter((price) => !kept.has(price)).map((price) => ({ price })),
    ];
    const key = createHash('sha256')
      .update(`${subscription.id}\u0000${planItem.price.id}\u0000${priceId}`)
      .digest('hex')
      .slice(0, 40);
    await gateway.stripe.subscriptions.update(
      subscription.id,
      { items, proration_behavior: 'none' },
      { idempotencyKey: `tollgate_migrate_${key}` },
    );
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw stripeFailure(error);
  }
  return { stripeSubscriptionId: current.stripeSubscriptionId, stripePriceId: priceId };
}
