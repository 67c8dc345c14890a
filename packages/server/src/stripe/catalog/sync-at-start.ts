import type { FastifyBaseLogger } from 'fastify';
import type { AppContext } from '../../http/context.js';
import { describeRetiredPlan, findRetiredPlans } from '../../subscriptions/retired-plans.js';
import { queueStripeCall } from '../outbox.js';
import { syncAndStoreStripeCatalog } from './sync-stripe-catalog.js';

/**
 * At start: names the organizations still on plans the catalog dropped (they keep their plan until
 * migrated, rather than being denied), and with a sandbox syncs the catalog into it, so that
 * Checkout works on a fresh start. Against real Stripe the operator runs `tollgate stripe sync`.
 */
export async function syncCatalogAtStart(context: AppContext, log: FastifyBaseLogger): Promise<void> {
  for (const plan of await findRetiredPlans(context.db, context.catalog)) {
    log.warn({ plan: plan.planCode, organizations: plan.organizationCount }, describeRetiredPlan(plan));
  }
  if (context.stripe?.mode !== 'sandbox') return;
  try {
    const result = await syncAndStoreStripeCatalog(context.db, context.stripe, context.catalog, context.now);
    await context.stripeCatalogIds.reload();
    log.info({ changes: result.changes.length }, `stripe catalog sync: ${result.summary}`);
    for (const note of result.notes) log.warn(`stripe catalog sync: ${note}`);
  } catch (error) {
    // The API still meters and enforces without the sandbox's catalog; Checkout waits for the sync,
    // which the Stripe outbox worker retries with backoff until it goes through.
    await queueStripeCall(context.db, {
      organizationId: null,
      kind: 'catalog.sync',
      payload: { catalog_hash: context.catalog.hash },
      now: context.now(),
    });
    log.error({ err: error }, 'stripe catalog sync failed; queued to be retried');
  }
}
