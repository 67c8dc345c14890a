import { decimalText } from '@tollgate/core';
import { and, desc, eq, lt } from 'drizzle-orm';
import { creditJournal } from '../db/schema/index.js';
import type { DbOrTx } from '../db/transaction.js';
import { AppError } from '../errors.js';
import { assertOrganizationExists } from './parties.js';
import { type Wallet, walletKey } from './wallet.js';

export type CreditTransactionView = {
  id: number;
  kind: string;
  amount: string;
  lot: string;
  operation: string;
  event_name: string | null;
  project_id: string | null;
  user_id: string | null;
  counterparty: string | null;
  note: string | null;
  actor: string;
  occurred_at: string;
};

/** The wallet's journal, newest first, a page at a time: pass the last id seen as starting_after. */
export async function listCreditTransactions(
  db: DbOrTx,
  wallet: Wallet,
  page: { limit: number; starting_after?: string | undefined },
): Promise<{ data: CreditTransactionView[]; has_more: boolean; next_cursor: string | null }> {
  await assertOrganizationExists(db, wallet.organizationId);
  const conditions = [
    eq(creditJournal.organizationId, wallet.organizationId),
    eq(creditJournal.walletUserId, walletKey(wallet)),
  ];
  if (page.starting_after !== undefined) {
    const cursor = Number(page.starting_after);
    if (!Number.isSafeInteger(cursor) || cursor < 1) {
      throw new AppError(
        'invalid_cursor',
        400,
        'starting_after must be a transaction id from a previous page',
      );
    }
    conditions.push(lt(creditJournal.id, cursor));
  }
  const rows = await db
    .select()
    .from(creditJournal)
    .where(and(...conditions))
    .orderBy(desc(creditJournal.id))
    .limit(page.limit + 1);
  const has_more = rows.length > page.limit;
  const data = rows.slice(0, page.limit).map((row) => ({
    id: row.id,
    kind: row.kind,
    amount: decimalText(row.amount),
    lot: row.lotId,
    operation: row.operationId,
    event_name: row.eventName,
    project_id: row.projectId,
    user_id: row.userId,
    counterparty: row.counterparty,
    note: row.note,
    actor: row.actor,
    occurred_at: row.occurredAt.toISOString(),
  }));
  const last = data.at(-1);
  return { data, has_more, next_cursor: has_more && last ? String(last.id) : null };
}
