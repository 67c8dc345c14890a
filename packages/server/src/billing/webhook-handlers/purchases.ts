import { STRIPE_METADATA } from '@tollgate/core';
import type Stripe from 'stripe';
import { grantCreditsOnce } from '../../credits/grant.js';
import type { DbOrTx } from '../../db/transaction.js';
import type { AppContext } from '../../http/context.js';
import { queueNotification } from '../../notifications/queue-notification.js';

/**
 * Grants a paid credit pack. The session and its payment carry the same purchase id, and the grant's
 * idempotency key is that id: however many of their events arrive, and in whatever order, it is granted once.
 */
export async function grantPurchasedPack(
  tx: DbOrTx,
  context: AppContext,
  input: { organizationId: string; metadata: Stripe.Metadata | null; now: Date },
): Promise<boolean> {
  const metadata = input.metadata ?? {};
  const purchaseId = metadata.tollgate_purchase_id;
  const packCode = metadata[STRIPE_METADATA.creditPack];
  if (!purchaseId || !packCode) return false;
  if (metadata[STRIPE_METADATA.organization] !== input.organizationId) return false;
  const pack = context.catalog.creditPack(packCode);
  if (!pack)
    throw new Error(`credit pack "${packCode}" of purchase ${purchaseId} is no longer in the catalog`);
  const quantity = Number.parseInt(metadata[STRIPE_METADATA.quantity] ?? '1', 10);
  if (!Number.isSafeInteger(quantity) || quantity < 1)
    throw new Error(`purchase ${purchaseId} has a bad quantity`);
  const { replayed } = await grantCreditsOnce(tx, context.catalog, {
    organization_id: input.organizationId,
    amount: pack.credits * quantity,
    source: 'purchased',
    idempotency_key: `purchase:${purchaseId}`,
    note: `${quantity} × ${pack.name}`,
    now: input.now,
    actor: 'stripe',
  });
  if (!replayed) {
    await queueNotification(tx, {
      organizationId: input.organizationId,
      kind: 'credits.purchased',
      payload: { credit_pack: packCode, quantity, credits: String(pack.credits * quantity) },
      now: input.now,
    });
  }
  return !replayed;
}
