import { and, asc, type SQL, sql } from 'drizzle-orm';
import { subscriptions } from '../db/schema/index.js';
import type { DbOrTx } from '../db/transaction.js';
import type { SubscriptionRow } from './assign-plan.js';

/**
 * The subscriptions matching `condition`, a page of at most `pageSize` at a time in key order, each
 * page read after the previous one was handled: a periodic job's memory stays bounded however many
 * there are, and rows the job changed out of `condition` are not skipped or read twice.
 */
export async function* subscriptionPages(
  db: DbOrTx,
  condition: SQL | undefined,
  pageSize: number,
): AsyncGenerator<SubscriptionRow[]> {
  let after: SubscriptionRow | undefined;
  for (;;) {
    const page = await db
      .select()
      .from(subscriptions)
      .where(
        and(
          condition,
          after === undefined
            ? undefined
            : sql`(${subscriptions.organizationId}, ${subscriptions.id}) > (${after.organizationId}, ${after.id})`,
        ),
      )
      .orderBy(asc(subscriptions.organizationId), asc(subscriptions.id))
      .limit(pageSize);
    if (page.length === 0) return;
    yield page;
    if (page.length < pageSize) return;
    after = page[page.length - 1];
  }
}
