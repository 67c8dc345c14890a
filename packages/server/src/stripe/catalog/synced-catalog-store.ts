import type { ResolvedStripeIds } from '@tollgate/core';
import { and, eq } from 'drizzle-orm';
import { type StripeCatalogObjectType, stripeCatalogObjects } from '../../db/schema/index.js';
import { type DbOrTx, withTransaction } from '../../db/transaction.js';
import type { StripeGateway } from '../stripe-gateway.js';

export type StripeMode = StripeGateway['mode'];

export const PORTAL_CONFIGURATION_KEY = 'portal_configuration';
const productRowKey = (productKey: string) => `product:${productKey}`;
const meterRowKey = (featureCode: string) => `meter:${featureCode}`;

/** The ids a sync ended with, as rows: prices by lookup key, the rest by a prefixed key. */
function rowsOf(
  ids: ResolvedStripeIds,
): { key: string; objectType: StripeCatalogObjectType; stripeId: string }[] {
  return [
    ...Object.entries(ids.prices).map(([key, stripeId]) => ({ key, objectType: 'price' as const, stripeId })),
    ...Object.entries(ids.products).map(([key, stripeId]) => ({
      key: productRowKey(key),
      objectType: 'product' as const,
      stripeId,
    })),
    ...Object.entries(ids.meters).map(([feature, stripeId]) => ({
      key: meterRowKey(feature),
      objectType: 'billing.meter' as const,
      stripeId,
    })),
    ...(ids.portal_configuration
      ? [
          {
            key: PORTAL_CONFIGURATION_KEY,
            objectType: 'billing_portal.configuration' as const,
            stripeId: ids.portal_configuration,
          },
        ]
      : []),
  ];
}

/** Replaces what an earlier sync stored for this Stripe mode: the store always says what the last sync saw. */
export async function storeSyncedCatalog(
  db: DbOrTx,
  mode: StripeMode,
  ids: ResolvedStripeIds,
  now: Date,
): Promise<void> {
  const rows = rowsOf(ids).map((row) => ({ ...row, mode, syncedAt: now }));
  await withTransaction(db, async (tx) => {
    await tx.delete(stripeCatalogObjects).where(eq(stripeCatalogObjects.mode, mode));
    if (rows.length > 0) await tx.insert(stripeCatalogObjects).values(rows);
  });
}

/** Every stored id for a mode, by key (lookup keys for prices). */
export async function readSyncedCatalog(db: DbOrTx, mode: StripeMode): Promise<Map<string, string>> {
  const rows = await db
    .select({ key: stripeCatalogObjects.key, stripeId: stripeCatalogObjects.stripeId })
    .from(stripeCatalogObjects)
    .where(eq(stripeCatalogObjects.mode, mode));
  return new Map(rows.map((row) => [row.key, row.stripeId]));
}

/** One stored id, or undefined when no sync has stored it. */
export async function readSyncedId(db: DbOrTx, mode: StripeMode, key: string): Promise<string | undefined> {
  const [row] = await db
    .select({ stripeId: stripeCatalogObjects.stripeId })
    .from(stripeCatalogObjects)
    .where(and(eq(stripeCatalogObjects.mode, mode), eq(stripeCatalogObjects.key, key)))
    .limit(1);
  return row?.stripeId;
}
