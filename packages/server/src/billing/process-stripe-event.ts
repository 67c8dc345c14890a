import type Stripe from 'stripe';
import { withTransaction } from '../db/transaction.js';
import type { AppContext } from '../http/context.js';
import type { StripeGateway } from '../stripe/stripe-gateway.js';
import { lockStripeEvent, markStripeEvent, storeStripeEvent } from '../stripe/webhooks/event-store.js';
import { webhookHandlers } from './webhook-handlers/index.js';

export type StripeEventResult =
  | { outcome: 'processed' | 'ignored'; organizationId: string | null }
  | { outcome: 'duplicate' };

/**
 * Applies a verified Stripe event once: stored by id first (so a failure stays listed), then applied
 * in one transaction with its row locked and marked, so a redelivery, even a concurrent one, changes
 * nothing. A handler's failure is recorded and rethrown: the caller answers 5xx and Stripe retries.
 */
export async function processStripeEvent(
  context: AppContext,
  gateway: StripeGateway,
  event: Stripe.Event,
): Promise<StripeEventResult> {
  const receivedAt = context.now();
  await storeStripeEvent(context.db, event, receivedAt);
  try {
    const result = await withTransaction(context.db, async (tx): Promise<StripeEventResult> => {
      const stored = await lockStripeEvent(tx, event.id);
      if (stored && (stored.status === 'processed' || stored.status === 'ignored'))
        return { outcome: 'duplicate' };
      const handler = webhookHandlers.get(event.type);
      const now = context.now();
      const outcome = handler
        ? await handler({ tx, context, gateway, event, object: event.data.object, now })
        : { status: 'ignored' as const, organizationId: null };
      await markStripeEvent(tx, event.id, {
        status: outcome.status,
        organizationId: outcome.organizationId,
        now,
      });
      return { outcome: outcome.status, organizationId: outcome.organizationId };
    });
    if (result.outcome !== 'duplicate' && result.organizationId) {
      context.metering.checks.invalidateBilling([result.organizationId]);
    }
    return result;
  } catch (error) {
    await markStripeEvent(context.db, event.id, {
      status: 'failed',
      error: error instanceof Error ? error.message.slice(0, 1000) : String(error).slice(0, 1000),
      now: context.now(),
    });
    throw error;
  }
}
