import type { BillingInterval, Catalog } from '@tollgate/core';
import { recordAudit } from '../audit/record.js';
import { withTransaction } from '../db/transaction.js';
import { badRequest, conflict } from '../errors.js';
import type { AppContext } from '../http/context.js';
import { type Actor, getOrganization } from '../organizations/service.js';
import { assignPlan, type SubscriptionRow } from './assign-plan.js';
import {
  type MigrationTarget,
  migrateStripeSubscription,
  nothingToMigrate,
} from './migrate-stripe-subscription.js';

export type MigratePlanInput = {
  organizationId: string;
  plan?: string | undefined;
  interval?: BillingInterval | undefined;
};

export type MigratePlanOutcome = {
  /** `migrated`: done now. `pending`: Stripe's subscription was changed and its webhook applies the plan. */
  status: 'migrated' | 'pending';
  fromPlan: string;
  plan: string;
  interval: BillingInterval;
  source: SubscriptionRow['source'];
  stripeSubscriptionId: string | null;
  stripePriceId: string | null;
};

/**
 * Where the organization goes: the plan asked for, else its own plan's current version while the
 * catalog still has it, else the default plan; the interval it has unless another is asked for.
 */
function migrationTarget(
  catalog: Catalog,
  current: SubscriptionRow,
  input: MigratePlanInput,
): MigrationTarget {
  const retired = catalog.plan(current.planCode) === undefined;
  const planCode = input.plan ?? (retired ? catalog.defaultPlanCode : current.planCode);
  const plan = catalog.plan(planCode);
  if (!plan) {
    const known = catalog
      .plans()
      .map((candidate) => candidate.code)
      .join(', ');
    throw badRequest('unknown_plan', `plan "${planCode}" is not in the catalog (plans: ${known})`, {
      field: 'plan',
    });
  }
  const interval = input.interval ?? current.interval;
  if (interval === 'year' && !plan.prices.yearly) {
    throw badRequest('unknown_price', `plan "${planCode}" has no yearly price`, { field: 'interval' });
  }
  return { planCode, interval, retired };
}

/** POST /v1/organizations/{id}/subscription/migrate: moves an organization to a catalog plan's current version. */
export async function migratePlan(
  context: AppContext,
  input: MigratePlanInput,
  actor: Actor,
): Promise<MigratePlanOutcome> {
  const { subscription: current } = await getOrganization(context.db, input.organizationId);
  if (!current) {
    throw conflict('no_subscription', `organization "${input.organizationId}" has no live subscription`);
  }
  const target = migrationTarget(context.catalog, current, input);
  const audit = (after: Record<string, unknown>, tx = context.db) =>
    recordAudit(tx, {
      actor: actor.actor,
      action: 'subscription.migrated',
      targetType: 'subscription',
      targetId: current.id,
      organizationId: input.organizationId,
      before: { plan: current.planCode, interval: current.interval, catalog_hash: current.catalogHash },
      after,
      requestId: actor.requestId,
    });
  if (current.source === 'stripe') {
    const moved = await migrateStripeSubscription(context, current, target);
    await audit({ plan: target.planCode, interval: target.interval, stripe_price_id: moved.stripePriceId });
    return {
      status: 'pending',
      fromPlan: current.planCode,
      plan: target.planCode,
      interval: target.interval,
      source: current.source,
      ...moved,
    };
  }
  const unchanged =
    !target.retired &&
    target.planCode === current.planCode &&
    target.interval === current.interval &&
    current.catalogHash === context.catalog.hash;
  if (unchanged) throw nothingToMigrate(input.organizationId);
  const migrated = await withTransaction(context.db, async (tx) => {
    const created = await assignPlan(tx, context.catalog, {
      organizationId: input.organizationId,
      planCode: target.planCode,
      interval: target.interval,
      source:
        current.source === 'default' && target.planCode === context.catalog.defaultPlanCode
          ? 'default'
          : 'manual',
      actor: actor.actor,
      now: actor.now,
    });
    await audit(
      { plan: created.planCode, interval: created.interval, catalog_hash: created.catalogHash },
      tx,
    );
    return created;
  });
  context.metering.checks.invalidateBilling([input.organizationId]);
  return {
    status: 'migrated',
    fromPlan: current.planCode,
    plan: migrated.planCode,
    interval: migrated.interval,
    source: migrated.source,
    stripeSubscriptionId: null,
    stripePriceId: null,
  };
}
