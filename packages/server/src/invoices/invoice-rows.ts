import { and, desc, eq, lt, or, type SQL } from 'drizzle-orm';
import { queryPreparedIn } from '../db/fixed-statements.js';
import { namedStatement, valuesOf } from '../db/named-statement.js';
import { invoices } from '../db/schema/index.js';
import { writeLater } from '../db/statement-transaction.js';
import { parametersOfTable, textValuesOfRow } from '../db/table-rows.js';
import type { DbOrTx } from '../db/transaction.js';

export type InvoiceRow = typeof invoices.$inferSelect;

/** Every column of the table, so that a column added to the schema is mirrored too. */
const PARAMETERS = parametersOfTable(invoices);
const NAMES = PARAMETERS.map((parameter) => parameter.name);

/** How far an invoice has come: a late event about an earlier stage never moves it back. */
const rankOf = (status: string) => `(case ${status} when 'draft' then 0 when 'open' then 1 when 'paid' then 2
  when 'uncollectible' then 2 when 'void' then 3 else 0 end)`;

/**
 * One fixed statement (prepared once per connection): webhooks mirror an invoice several times per
 * renewal. What is stored wins when it is newer: a later `created` stamp; in the same second, the
 * further status (Stripe's `created` is in seconds and finalized/paid events share one).
 */
const UPSERT_INVOICE = namedStatement('invoice_upsert', NAMES, (p) => {
  const values = PARAMETERS.map(({ name, sqlType }) => `${p[name]}::${sqlType}`);
  const updates = NAMES.filter((name) => name !== 'organization_id' && name !== 'id').map(
    (name) => `${name} = excluded.${name}`,
  );
  return `insert into invoices (${NAMES.join(', ')}) values (${values.join(', ')})
    on conflict (organization_id, id) do update set ${updates.join(', ')}
    where invoices.stripe_state_at < excluded.stripe_state_at
       or (invoices.stripe_state_at = excluded.stripe_state_at
           and ${rankOf('invoices.status')} <= ${rankOf('excluded.status')})
    returning id`;
});

/** Stores the invoice unless what is stored is newer; answers whether it was written. */
export async function upsertInvoice(db: DbOrTx, row: InvoiceRow): Promise<boolean> {
  const written = await queryPreparedIn(db, UPSERT_INVOICE, upsertValues(row));
  return written.length > 0;
}

/** upsertInvoice for a caller that does not read the answer: it may travel with the next statement. */
export async function mirrorInvoice(tx: DbOrTx, row: InvoiceRow): Promise<void> {
  await writeLater(tx, UPSERT_INVOICE, upsertValues(row));
}

function upsertValues(row: InvoiceRow): (string | null)[] {
  return valuesOf(UPSERT_INVOICE, textValuesOfRow(invoices, row));
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
