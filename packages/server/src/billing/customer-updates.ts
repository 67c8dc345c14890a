import type { DbOrTx } from '../db/transaction.js';
import { queueStripeCall } from '../stripe/outbox.js';

/** Queues a customer update in the organization's transaction, when it already has a Stripe customer. */
export async function queueCustomerUpdate(
  tx: DbOrTx,
  organization: { id: string; stripeCustomerId: string | null },
  now: Date,
): Promise<void> {
  if (!organization.stripeCustomerId) return;
  await queueStripeCall(tx, {
    organizationId: organization.id,
    kind: 'customer.update',
    payload: { customer: organization.stripeCustomerId },
    now,
  });
}
