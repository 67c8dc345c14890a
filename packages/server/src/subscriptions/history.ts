import { and, desc, eq, lt } from 'drizzle-orm';
import { subscriptionHistory } from '../db/schema/index.js';
import type { DbOrTx } from '../db/transaction.js';

export type HistoryRow = typeof subscriptionHistory.$inferSelect;

/** Every change to the organization's subscriptions, newest first; the cursor is the last id of a page. */
export async function listSubscriptionHistory(
  db: DbOrTx,
  organizationId: string,
  page: { limit: number; startingAfter?: number | undefined },
): Promise<{ rows: HistoryRow[]; hasMore: boolean }> {
  const rows = await db
    .select()
    .from(subscriptionHistory)
    .where(
      and(
        eq(subscriptionHistory.organizationId, organizationId),
        page.startingAfter === undefined ? undefined : lt(subscriptionHistory.id, page.startingAfter),
      ),
    )
    .orderBy(desc(subscriptionHistory.id))
    .limit(page.limit + 1);
  return { rows: rows.slice(0, page.limit), hasMore: rows.length > page.limit };
}
