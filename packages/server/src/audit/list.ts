import { and, desc, eq, lt } from 'drizzle-orm';
import { auditLog } from '../db/schema/index.js';
import type { DbOrTx } from '../db/transaction.js';

/** Newest first; `before` is the id of the last entry of the previous page. */
export async function listAuditEntries(db: DbOrTx, organizationId: string, limit: number, before?: number) {
  const rows = await db
    .select()
    .from(auditLog)
    .where(
      and(
        eq(auditLog.organizationId, organizationId),
        before === undefined ? undefined : lt(auditLog.id, before),
      ),
    )
    .orderBy(desc(auditLog.id))
    .limit(limit + 1);
  return { entries: rows.slice(0, limit), hasMore: rows.length > limit };
}
