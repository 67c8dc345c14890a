import {
  type Catalog,
  type CatalogChange,
  describeCatalogChange,
  desiredStripeCatalog,
  planStripeCatalogSync,
  type ResolvedStripeIds,
  summarizeCatalogChanges,
} from '@tollgate/core';
import type Stripe from 'stripe';
import type { DbOrTx } from '../../db/transaction.js';
import type { StripeGateway } from '../stripe-gateway.js';
import { executeCatalogChanges } from './execute-catalog-changes.js';
import { readStripeCatalog } from './read-stripe-catalog.js';
import { storeSyncedCatalog } from './synced-catalog-store.js';

export type CatalogSyncResult = {
  dryRun: boolean;
  changes: CatalogChange[];
  /** One line per change, as printed. */
  lines: string[];
  /** "no changes" or a count per kind. */
  summary: string;
  /** What the sync cannot fix by itself (a meter with another formula, a price Stripe cannot express). */
  notes: string[];
  /** The ids Stripe holds after the run (for a dry run: those that stay, without the ones it would create). */
  ids: ResolvedStripeIds;
};

/** Reads Stripe, plans in core, and (unless a dry run) applies the plan. */
export async function syncStripeCatalog(
  stripe: Stripe,
  catalog: Catalog,
  options: { dryRun: boolean },
): Promise<CatalogSyncResult> {
  const plan = planStripeCatalogSync(desiredStripeCatalog(catalog), await readStripeCatalog(stripe));
  const ids = options.dryRun ? plan.resolved : await executeCatalogChanges(stripe, plan);
  return {
    dryRun: options.dryRun,
    changes: plan.changes,
    lines: plan.changes.map(describeCatalogChange),
    summary: summarizeCatalogChanges(plan.changes),
    notes: plan.notes,
    ids,
  };
}

/** A sync whose resulting ids are stored for GET /v1/plans, Checkout and the portal. */
export async function syncAndStoreStripeCatalog(
  db: DbOrTx,
  gateway: StripeGateway,
  catalog: Catalog,
  now: () => Date,
): Promise<CatalogSyncResult> {
  const result = await syncStripeCatalog(gateway.stripe, catalog, { dryRun: false });
  await storeSyncedCatalog(db, gateway.mode, result.ids, now());
  return result;
}
