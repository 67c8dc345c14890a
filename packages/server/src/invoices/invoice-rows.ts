import { and, desc, eq, lt, or, type SQL } from 'drizzle-orm';
import { queryPreparedIn } from '../db/fixed-statements.js';
import { namedStatement, valuesOf } from '../db/named-statement.js';
import { invoices } from '../db/schema/index.js';
import { writeLater } from '../db/statement-transaction.js';
import type { DbOrTx } from '../db/transaction.js';

export type InvoiceRow = typeof invoices.$inferSelect;

const COLUMNS = [
  'organization_id',
  'id',
  'number',
  'status',
  'currency',
  'billing_reason',
  'stripe_subscription_id',
  'subtotal',
  'tax',
  'total',
  'amount_due',
  'amount_paid',
  'amount_remaining',
  'hosted_invoice_url',
  'invoice_pdf',
  'period_start',
  'period_end',
  'lines',
  'created',
  'stripe_state_at',
  'updated_at',
] as const;
type Column = (typeof COLUMNS)[number];

const CASTS: Partial<Record<Column, string>> = {
  subtotal: 'bigint',
  tax: 'bigint',
  total: 'bigint',
  amount_due: 'bigint',
  amount_paid: 'bigint',
  amount_remaining: 'bigint',
  period_start: 'timestamptz',
  period_end: 'timestamptz',
  lines: 'jsonb',
  created: 'timestamptz',
  stripe_state_at: 'timestamptz',
  updated_at: 'timestamptz',
};

/** How far an invoice has come: a late event about an earlier stage never moves it back. */
const rankOf = (status: string) => `(case ${status} when 'draft' then 0 when 'open' then 1 when 'paid' then 2
  when 'uncollectible' then 2 when 'void' then 3 else 0 end)`;

/**
 * One fixed statement (prepared once per connection): webhooks mirror an invoice several times per
 * renewal. What is stored wins when it is newer: a later `created` stamp; in the same second, the
 * further status (Stripe's `created` is in seconds and finalized/paid events share one).
 */
const UPSERT_INVOICE = namedStatement('invoice_upsert', COLUMNS, (p) => {
  const values = COLUMNS.map((column) => (CASTS[column] ? `${p[column]}::${CASTS[column]}` : p[column]));
  const updates = COLUMNS.filter((column) => column !== 'organization_id' && column !== 'id').map(
    (column) => `${column} = excluded.${column}`,
  );
  return `insert into invoices (${COLUMNS.join(', ')}) values (${values.join(', ')})
    on conflict (organization_id, id) do update set ${updates.join(', ')}
    where invoices.stripe_state_at < excluded.stripe_state_at
       or (invoices.stripe_state_at = excluded.stripe_state_at
           and ${rankOf('invoices.status')} <= ${rankOf('excluded.status')})
    returning id`;
});

const iso = (date: Date | null) => date?.toISOString() ?? null;

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
  return valuesOf(UPSERT_INVOICE, {
    organization_id: row.organizationId,
    id: row.id,
    number: row.number,
    status: row.status,
    currency: row.currency,
    billing_reason: row.billingReason,
    stripe_subscription_id: row.stripeSubscriptionId,
    subtotal: String(row.subtotal),
    tax: String(row.tax),
    total: String(row.total),
    amount_due: String(row.amountDue),
    amount_paid: String(row.amountPaid),
    amount_remaining: String(row.amountRemaining),
    hosted_invoice_url: row.hostedInvoiceUrl,
    invoice_pdf: row.invoicePdf,
    period_start: iso(row.periodStart),
    period_end: iso(row.periodEnd),
    lines: JSON.stringify(row.lines),
    created: iso(row.created),
    stripe_state_at: iso(row.stripeStateAt),
    updated_at: iso(row.updatedAt),
  });
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
