import { eq } from 'drizzle-orm';
import { organizations } from '../db/schema/index.js';
import type { DbOrTx } from '../db/transaction.js';
import type { StripeCallHandler } from '../stripe/outbox.js';
import { queueStripeCall } from '../stripe/outbox.js';
import { pushCustomer } from './stripe-customers.js';

/** The queued Stripe calls Tollgate makes, by kind. */
export const stripeCallHandlers: Readonly<Record<string, StripeCallHandler>> = {
  /** Pushes the organization's current billing identity, so several queued updates send the latest. */
  'customer.update': async (row, gateway, db) => {
    const organizationId = row.organizationId;
    if (!organizationId) return;
    const [organization] = await db.select().from(organizations).where(eq(organizations.id, organizationId));
    if (organization) await pushCustomer(gateway, organization);
  },
};

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
