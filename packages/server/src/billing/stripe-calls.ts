import { eq } from 'drizzle-orm';
import { organizations } from '../db/schema/index.js';
import type { AppContext } from '../http/context.js';
import { syncAndStoreStripeCatalog } from '../stripe/catalog/sync-stripe-catalog.js';
import type { StripeCallHandler } from '../stripe/outbox.js';
import { pushCustomer } from './stripe-customers.js';

/** The queued Stripe calls Tollgate makes, by kind. */
export function stripeCallHandlersFor(
  context: Pick<AppContext, 'catalog' | 'now' | 'stripeCatalogIds'>,
): Readonly<Record<string, StripeCallHandler>> {
  return {
    /** Pushes the organization's current billing identity, so several queued updates send the latest. */
    'customer.update': async (row, gateway, db) => {
      const organizationId = row.organizationId;
      if (!organizationId) return;
      const [organization] = await db
        .select()
        .from(organizations)
        .where(eq(organizations.id, organizationId));
      if (organization) await pushCustomer(gateway, organization);
    },
    /** A catalog sync that could not reach Stripe at start, retried until it does. */
    'catalog.sync': async (_row, gateway, db) => {
      await syncAndStoreStripeCatalog(db, gateway, context.catalog, context.now);
      // GET /v1/plans shows the new ids once they are committed.
      return () => context.stripeCatalogIds.reload();
    },
  };
}
