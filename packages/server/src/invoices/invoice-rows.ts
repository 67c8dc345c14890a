import { and, desc, eq, lt, or, type SQL, sql } from 'drizzle-orm';
import { invoices } from '../db/schema/index.js';
import type { DbOrTx } from '../db/transaction.js';

export type InvoiceRow = typeof invoices.$inferSelect;

/** How far an invoice has come: a late event about an earlier stage never moves it back. */
const STATUS_RANK: Record<string, number> = { draft: 0, open: 1, paid: 2, uncollectible: 2, void: 3 };
const rankOf = (status: string) => (Object.hasOwn(STATUS_RANK, status) ? (STATUS_RANK[status] as number) : 0);

/**
 * Stores the invoice unless what is stored is newer: a later `created` wins; in the same second, the
 * further status wins (Stripe's `created` is in seconds and finalized/paid events share one).
 */
export async function upsertInvoice(db: DbOrTx, row: InvoiceRow): Promise<boolean> {
  const rank = rankOf(row.status);
  const { organizationId: _organization, id: _id, ...changes } = row;
  const written = await db
    .insert(invoices)
    .values(row)
    .onConflictDoUpdate({
      target: [invoices.organizationId, invoices.id],
      set: changes,
      setWhere: sql`${invoices.stripeStateAt} < ${row.stripeStateAt}
        or (${invoices.stripeStateAt} = ${row.stripeStateAt} and
            (case ${invoices.status} when 'draft' then 0 when 'open' then 1 when 'paid' then 2
               when 'uncollectible' then 2 when 'void' then 3 else 0 end) <= ${rank})`,
    })
    .returning({ id: invoices.id });
  return written.length > 0;
}

export async function getInvoice(
  db: DbOrTx,
  organizationId: string,
  invoiceId: string,
): Promise<InvoiceRow | undefined> {
  const [row] = await db
    .select()
    .from(invoices)
    .where(and(eq(invoices.organizationId, organizationId), eq(invoices.id, invoiceId)));
  return row;
}

/** Newest first; the cursor is the last invoice id of the previous page. */
export async function listInvoices(
  db: DbOrTx,
  organizationId: string,
  page: { limit: number; startingAfter?: string | undefined; status?: string | undefined },
): Promise<{ rows: InvoiceRow[]; hasMore: boolean }> {
  let cursor: SQL | undefined;
  if (page.startingAfter) {
    const after = await getInvoice(db, organizationId, page.startingAfter);
    if (after) {
      cursor = or(
        lt(invoices.created, after.created),
        and(eq(invoices.created, after.created), lt(invoices.id, after.id)),
      );
    }
  }
  const rows = await db
    .select()
    .from(invoices)
    .where(
      and(
        eq(invoices.organizationId, organizationId),
        page.status ? eq(invoices.status, page.status) : undefined,
        cursor,
      ),
    )
    .orderBy(desc(invoices.created), desc(invoices.id))
    .limit(page.limit + 1);
  return { rows: rows.slice(0, page.limit), hasMore: rows.length > page.limit };
}
