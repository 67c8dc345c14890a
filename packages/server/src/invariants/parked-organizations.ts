import { asc, eq } from 'drizzle-orm';
import { type ParkedReason, parkedOrganizations } from '../db/schema/index.js';
import type { DbOrTx } from '../db/transaction.js';

export type ParkedOrganization = typeof parkedOrganizations.$inferSelect;

/** Parks an organization; false when it already was (its first reasons are kept). */
export async function parkOrganization(
  tx: DbOrTx,
  organizationId: string,
  reasons: ParkedReason[],
  now: Date,
): Promise<boolean> {
  const inserted = await tx
    .insert(parkedOrganizations)
    .values({ organizationId, reasons, parkedAt: now })
    .onConflictDoNothing()
    .returning({ organizationId: parkedOrganizations.organizationId });
  return inserted.length > 0;
}

export async function listParkedOrganizations(db: DbOrTx): Promise<ParkedOrganization[]> {
  return db
    .select()
    .from(parkedOrganizations)
    .orderBy(asc(parkedOrganizations.parkedAt), asc(parkedOrganizations.organizationId));
}

/** Removes the organization from the parked list; the row it had, or undefined if it was not parked. */
export async function clearParkedOrganization(
  tx: DbOrTx,
  organizationId: string,
): Promise<ParkedOrganization | undefined> {
  const [removed] = await tx
    .delete(parkedOrganizations)
    .where(eq(parkedOrganizations.organizationId, organizationId))
    .returning();
  return removed;
}
