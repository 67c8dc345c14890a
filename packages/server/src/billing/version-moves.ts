import { versionMoveFor } from '@tollgate/core';
import type { FastifyBaseLogger } from 'fastify';
import type { AppContext } from '../http/context.js';
import { startPeriodicRound } from '../jobs/periodic-round.js';
import { stripeSubscriptionsOffVersion } from '../subscriptions/stripe-subscription-rows.js';
import { applyFresh, scheduleAtPeriodEnd } from './plan-changes.js';
import { planPriceIds } from './plan-prices.js';

export type VersionMovesRound = {
  /** Organizations whose Stripe subscription now moves to today's price at its period end. */
  scheduled: string[];
  failed: { organizationId: string; error: string }[];
};

/**
 * `billing.migrate_at_renewal` for Stripe subscribers whose plan's price changed: each gets a
 * subscription schedule that moves it to today's prices at its period end (shown as
 * `scheduled_change`; the renewal's `price_changed` then takes today's version). Subscribers whose
 * price is unchanged take today's version when their period renews (apply-stripe-subscription.ts).
 * Safe to run from several processes: the Stripe calls carry idempotency keys per subscription and
 * catalog version.
 */
export async function scheduleVersionMoves(context: AppContext): Promise<VersionMovesRound> {
  const round: VersionMovesRound = { scheduled: [], failed: [] };
  const gateway = context.stripe;
  const { catalog } = context;
  if (!gateway || !catalog.definition.billing.migrate_at_renewal) return round;
  for (const row of await stripeSubscriptionsOffVersion(context.db, catalog.hash)) {
    const move = versionMoveFor(catalog, {
      source: row.source,
      status: row.status,
      planCode: row.planCode,
      interval: row.interval,
      catalogHash: row.catalogHash,
      cancelAtPeriodEnd: row.cancelAtPeriodEnd,
      scheduled: row.scheduledChange !== null,
    });
    const subscriptionId = row.stripeSubscriptionId;
    if (move !== 'schedule_price' || !subscriptionId) continue;
    try {
      const items = await planPriceIds(context, { plan: row.planCode, interval: row.interval });
      await scheduleAtPeriodEnd(gateway, subscriptionId, items, row.interval, {
        idempotencyKey: `tollgate_version_move_${subscriptionId}_${catalog.hash}`,
      });
      await applyFresh(context, gateway, row.organizationId, subscriptionId, 'system');
      round.scheduled.push(row.organizationId);
    } catch (error) {
      round.failed.push({
        organizationId: row.organizationId,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return round;
}

/** Runs `scheduleVersionMoves` every `intervalMs` until stopped; failures are logged and retried next round. */
export function startVersionMoves(options: {
  context: AppContext;
  intervalMs: number;
  logger: FastifyBaseLogger;
}): { stop(): Promise<void> } {
  return startPeriodicRound(
    async () => {
      const result = await scheduleVersionMoves(options.context);
      if (result.scheduled.length > 0)
        options.logger.info(
          { organizations: result.scheduled },
          'migrate_at_renewal: Stripe subscriptions move to the current plan prices at their period end',
        );
      if (result.failed.length > 0)
        options.logger.warn(
          { failed: result.failed },
          'migrate_at_renewal: some Stripe subscriptions could not be scheduled; retried next round',
        );
    },
    {
      intervalMs: options.intervalMs,
      runAtStart: true,
      onError: (error) => options.logger.error({ err: error }, 'migrate_at_renewal round failed'),
    },
  );
}
