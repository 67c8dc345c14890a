import type { DbOrTx } from '../../db/transaction.js';
import type { StripeGateway } from '../stripe-gateway.js';
import { PORTAL_CONFIGURATION_MARKER } from './read-stripe-catalog.js';
import { PORTAL_CONFIGURATION_KEY, readSyncedCatalog, readSyncedId } from './synced-catalog-store.js';

export type StripeCatalogAccess = { db: DbOrTx; stripe: StripeGateway | null };

/**
 * The Stripe price that a lookup key names now (see planPriceLookupKey, creditPackPriceLookupKey,
 * overagePriceLookupKey): what the last catalog sync stored, else Stripe's own answer for an active
 * price. Null when Stripe is not configured or no active price has the key.
 */
export async function stripePriceIdFor(
  context: StripeCatalogAccess,
  lookupKey: string,
): Promise<string | null> {
  if (!context.stripe) return null;
  const stored = await readSyncedId(context.db, context.stripe.mode, lookupKey);
  if (stored) return stored;
  const found = await context.stripe.stripe.prices.list({ lookup_keys: [lookupKey], active: true, limit: 1 });
  return found.data[0]?.id ?? null;
}

/** The Customer Portal configuration the catalog sync keeps (plans to switch among, cancel at period end …). */
export async function stripePortalConfigurationId(context: StripeCatalogAccess): Promise<string | null> {
  if (!context.stripe) return null;
  const stored = await readSyncedId(context.db, context.stripe.mode, PORTAL_CONFIGURATION_KEY);
  if (stored) return stored;
  for await (const configuration of context.stripe.stripe.billingPortal.configurations.list({
    active: true,
    limit: 100,
  })) {
    if (
      configuration.metadata?.tollgate_portal_configuration ===
      PORTAL_CONFIGURATION_MARKER.tollgate_portal_configuration
    ) {
      return configuration.id;
    }
  }
  return null;
}

/** How long GET /v1/plans may show ids without looking for a sync made by another process. */
const REFRESH_AFTER_MS = 60_000;

/**
 * The synced ids held in memory for GET /v1/plans, so that the route answers without a query: loaded
 * at start, replaced after a sync in this process, and re-read in the background once a minute for
 * syncs run elsewhere (the CLI, another server process).
 */
export class SyncedStripeIds {
  private ids = new Map<string, string>();
  private loadedAt = 0;
  private loading: Promise<void> | null = null;
  /** Increases whenever the ids change, so a response built from them can be cached until then. */
  revision = 0;

  constructor(private readonly context: StripeCatalogAccess) {}

  get(key: string): string | null {
    return this.ids.get(key) ?? null;
  }

  async reload(): Promise<void> {
    const { stripe, db } = this.context;
    this.loadedAt = Date.now();
    if (!stripe) return;
    const ids = await readSyncedCatalog(db, stripe.mode);
    const changed = ids.size !== this.ids.size || [...ids].some(([key, id]) => this.ids.get(key) !== id);
    this.ids = ids;
    if (changed) this.revision += 1;
  }

  /** Starts a background re-read when the ids are older than a minute; never waits for it. */
  refreshWhenStale(onError: (error: unknown) => void): void {
    if (this.loading || !this.context.stripe || Date.now() - this.loadedAt < REFRESH_AFTER_MS) return;
    this.loading = this.reload()
      .catch(onError)
      .finally(() => {
        this.loading = null;
      });
  }
}
