import {
  type CreditLot,
  Decimal,
  decimalText,
  evaluateLowBalance,
  isLive,
  sumRemaining,
} from '@tollgate/core';
import { and, eq } from 'drizzle-orm';
import { creditWallets } from '../db/schema/index.js';
import type { DbOrTx } from '../db/transaction.js';
import { queueNotification } from '../notifications/queue-notification.js';
import { type Wallet, type WalletState, walletKey } from './wallet.js';

/**
 * After a write to an organization's wallet: queue one low-balance notification when the balance has
 * just fallen below the threshold, and re-arm once it is back at or above it. Same transaction as the write.
 */
export async function updateLowBalance(
  tx: DbOrTx,
  input: {
    wallet: Wallet;
    state: WalletState;
    lotsAfter: readonly CreditLot[];
    defaultThreshold: number;
    now: Date;
  },
): Promise<boolean> {
  // Thresholds are an organization's concern; users' reward wallets are left alone.
  if (input.wallet.userId !== null) return false;
  const threshold = new Decimal(input.state.lowBalanceThreshold ?? input.defaultThreshold);
  const balance = sumRemaining(input.lotsAfter.filter((lot) => isLive(lot, input.now)));
  const decision = evaluateLowBalance({ armed: input.state.lowBalanceArmed, threshold, balance });
  if (decision.armed !== input.state.lowBalanceArmed) {
    await tx
      .update(creditWallets)
      .set({ lowBalanceArmed: decision.armed, updatedAt: input.now })
      .where(
        and(
          eq(creditWallets.organizationId, input.wallet.organizationId),
          eq(creditWallets.walletUserId, walletKey(input.wallet)),
        ),
      );
  }
  if (decision.notify) {
    await queueNotification(tx, {
      organizationId: input.wallet.organizationId,
      kind: 'credits.low_balance',
      payload: {
        organization_id: input.wallet.organizationId,
        balance: decimalText(balance),
        threshold: decimalText(threshold),
      },
      now: input.now,
    });
  }
  return decision.notify;
}
