import { randomUUID } from 'node:crypto';
import { type Decimal, decimalText, type LotMovement } from '@tollgate/core';
import { and, eq, sql } from 'drizzle-orm';
import { type CreditEntryKind, creditJournal, creditLots } from '../db/schema/index.js';
import type { DbOrTx } from '../db/transaction.js';
import { type Wallet, walletKey } from './wallet.js';

export const newId = (prefix: string) => `${prefix}_${randomUUID().replaceAll('-', '')}`;

/** What every journal entry of one operation shares. */
export type EntryContext = {
  operationId: string;
  actor: string;
  occurredAt: Date;
  eventName?: string | null;
  projectId?: string | null;
  userId?: string | null;
  counterparty?: string | null;
  note?: string | null;
};

/**
 * Takes credits out of lots and journals each movement as a negative entry. The lots were locked by
 * the caller; the table's check constraint would refuse a lot going below zero all the same.
 */
export async function takeCredits(
  tx: DbOrTx,
  wallet: Wallet,
  movements: readonly LotMovement[],
  kind: Extract<CreditEntryKind, 'debit' | 'expiry' | 'transfer_out' | 'adjustment'>,
  context: EntryContext,
): Promise<void> {
  for (const movement of movements) {
    await tx
      .update(creditLots)
      .set({ remaining: sql`${creditLots.remaining} - ${decimalText(movement.amount)}::numeric` })
      .where(and(eq(creditLots.organizationId, wallet.organizationId), eq(creditLots.id, movement.lot_id)));
  }
  if (movements.length === 0) return;
  await tx.insert(creditJournal).values(
    movements.map((movement) => ({
      ...entryColumns(wallet, context),
      lotId: movement.lot_id,
      kind,
      amount: decimalText(movement.amount.negated()),
    })),
  );
}

/** Creates a lot holding `amount` and journals it as a positive entry. Returns the lot id. */
export async function addLot(
  tx: DbOrTx,
  wallet: Wallet,
  lot: {
    source: 'purchased' | 'subscription' | 'promotional' | 'transfer';
    amount: Decimal;
    expiresAt: Date | null;
    grantedAt: Date;
    priority?: number;
  },
  kind: Extract<CreditEntryKind, 'grant' | 'transfer_in' | 'refund'>,
  context: EntryContext,
): Promise<string> {
  const lotId = newId('lot');
  const amount = decimalText(lot.amount);
  await tx.insert(creditLots).values({
    organizationId: wallet.organizationId,
    id: lotId,
    walletUserId: walletKey(wallet),
    source: lot.source,
    amount,
    remaining: amount,
    expiresAt: lot.expiresAt,
    grantedAt: lot.grantedAt,
    priority: lot.priority ?? 0,
    operationId: context.operationId,
  });
  await tx.insert(creditJournal).values({ ...entryColumns(wallet, context), lotId, kind, amount });
  return lotId;
}

function entryColumns(wallet: Wallet, context: EntryContext) {
  return {
    organizationId: wallet.organizationId,
    walletUserId: walletKey(wallet),
    operationId: context.operationId,
    actor: context.actor,
    occurredAt: context.occurredAt,
    eventName: context.eventName ?? null,
    projectId: context.projectId ?? null,
    userId: context.userId ?? null,
    counterparty: context.counterparty ?? null,
    note: context.note ?? null,
  };
}
