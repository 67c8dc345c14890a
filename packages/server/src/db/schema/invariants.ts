import { jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** What the invariant watch found wrong with an organization (invariants/discrepancies.ts). */
export type ParkedReason = Record<string, string | null>;

/**
 * Organizations the invariant watch found inconsistent (migration 0012): no Stripe call of theirs
 * is delivered while they are here. Only an operator removes a row.
 */
export const parkedOrganizations = pgTable('parked_organizations', {
  organizationId: text('organization_id').primaryKey(),
  reasons: jsonb('reasons').$type<ParkedReason[]>().notNull(),
  parkedAt: timestamp('parked_at', { withTimezone: true, mode: 'date' }).notNull(),
});
