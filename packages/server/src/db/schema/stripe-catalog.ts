import { pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

export type StripeCatalogObjectType = 'price' | 'product' | 'billing.meter' | 'billing_portal.configuration';

/** The Stripe ids the last catalog sync found or created, per Stripe mode (migration 0010). */
export const stripeCatalogObjects = pgTable(
  'stripe_catalog_objects',
  {
    mode: text('mode').$type<'sandbox' | 'test' | 'live'>().notNull(),
    key: text('key').notNull(),
    objectType: text('object_type').$type<StripeCatalogObjectType>().notNull(),
    stripeId: text('stripe_id').notNull(),
    syncedAt: timestamp('synced_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (table) => [primaryKey({ name: 'stripe_catalog_objects_pk', columns: [table.mode, table.key] })],
);
