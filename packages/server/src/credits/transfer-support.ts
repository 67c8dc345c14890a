import { type CreditLot, Decimal, transferDayStart } from '@tollgate/core';
import { and, eq, gte, sql } from 'drizzle-orm';
import { creditJournal } from '../db/schema/index.js';
import type { DbOrTx } from '../db/transaction.js';
import { expireDueLots } from './expire-due.js';
import {
  describeWallet,
  ensureWallet,
  lockWallet,
  type Wallet,
  type WalletState,
  walletKey,
} from './wallet.js';

/**
 * Locks both wallets in one global order (whoever sends), so two opposite transfers between the same
 * wallets cannot deadlock, and expires what is due on both sides.
 */
export async function lockWalletsForTransfer(
  tx: DbOrTx,
  sender: Wallet,
  receiver: Wallet,
  now: Date,
): Promise<{ senderLots: CreditLot[]; senderState: WalletState; receiverState: WalletState }> {
  const ordered = [sender, receiver].sort((a, b) => (describeWallet(a) < describeWallet(b) ? -1 : 1));
  const locked = new Map<string, { state: WalletState; lots: CreditLot[] }>();
  for (const wallet of ordered) {
    await ensureWallet(tx, wallet);
    const result = await lockWallet(tx, wallet);
    if (!result) throw new Error('wallet vanished after it was created');
    locked.set(describeWallet(wallet), {
      state: result.state,
      lots: await expireDueLots(tx, wallet, result.lots, now),
    });
  }
  const senderSide = locked.get(describeWallet(sender));
  const receiverSide = locked.get(describeWallet(receiver));
  if (!senderSide || !receiverSide) throw new Error('transfer wallets not locked');
  return { senderLots: senderSide.lots, senderState: senderSide.state, receiverState: receiverSide.state };
}

/** What the sender has given since the start of the UTC day, for the daily limit. */
export async function transferredToday(tx: DbOrTx, sender: Wallet, now: Date): Promise<Decimal> {
  const [row] = await tx
    .select({ given: sql<string>`coalesce(-sum(${creditJournal.amount}), 0)::text` })
    .from(creditJournal)
    .where(
      and(
        eq(creditJournal.organizationId, sender.organizationId),
        eq(creditJournal.walletUserId, walletKey(sender)),
        eq(creditJournal.kind, 'transfer_out'),
        gte(creditJournal.occurredAt, transferDayStart(now)),
      ),
    );
  return new Decimal(row?.given ?? '0');
}
