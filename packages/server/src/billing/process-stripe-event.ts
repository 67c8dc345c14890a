import type Stripe from 'stripe';
import { withStatementTransaction } from '../db/statement-transaction.js';
import type { AppContext } from '../http/context.js';
import type { StripeGateway } from '../stripe/stripe-gateway.js';
import {
  claimStripeEvent,
  markStripeEvent,
  recordFailedStripeEvent,
  storeIgnoredStripeEvent,
} from '../stripe/webhooks/event-store.js';
import { relevantEvent, webhookHandlers } from './webhook-handlers/index.js';

export type StripeEventResult =
  | { outcome: 'processed' | 'ignored'; organizationId: string | null }
  | { outcome: 'duplicate' };

/**
 * Applies a verified Stripe event once: its id is stored first, in the transaction that applies it
 * and marks it done (one commit per event), so a redelivery, even a concurrent one, changes nothing.
 * On PostgreSQL the transaction's BEGIN travels with that first statement (statement-transaction.ts).
 * A handler's failure rolls all of that back, is recorded as a failed event for the operator, and is
 * rethrown: the caller answers 5xx and Stripe retries.
 */
export async function processStripeEvent(
  context: AppContext,
  gateway: StripeGateway,
  event: Stripe.Event,
): Promise<StripeEventResult> {
  const handler = webhookHandlers.get(event.type);
  if (!handler || relevantEvent.get(event.type)?.(event) === false) {
    const stored = await storeIgnoredStripeEvent(context.db, event, context.now());
    return stored ? { outcome: 'ignored', organizationId: null } : { outcome: 'duplicate' };
  }
  try {
    const result = await withStatementTransaction(
      context.db,
      context.statementTransaction,
      async (session): Promise<StripeEventResult> => {
        const now = context.now();
        const claim = await claimStripeEvent(session, event, now);
        if (claim.status === 'processed' || claim.status === 'ignored') return { outcome: 'duplicate' };
        const tx = session.asTransaction();
        const outcome = await handler({
          tx,
          context,
          gateway,
          event,
          object: event.data.object,
          customerOrganizationId: claim.organizationId,
          now,
        });
        // A new event's row already says processed, for its customer's organization; only a retried
        // failure, an ignored event or another organization (Checkout's client_reference_id) is rewritten.
        if (
          claim.status !== null ||
          outcome.status !== 'processed' ||
          outcome.organizationId !== claim.organizationId
        ) {
          await markStripeEvent(tx, event.id, {
            status: outcome.status,
            organizationId: outcome.organizationId,
            retried: claim.status !== null,
            now,
          });
        }
        return { outcome: outcome.status, organizationId: outcome.organizationId };
      },
    );
    if (result.outcome !== 'duplicate' && result.organizationId) {
      context.metering.checks.invalidateBilling([result.organizationId]);
    }
    return result;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await recordFailedStripeEvent(context.db, event, message.slice(0, 1000), context.now());
    throw error;
  }
}
