import { type CreditLot, lotsAfter, planExpiry } from '@tollgate/core';
import type { DbOrTx } from '../db/transaction.js';
import { newId, takeCredits } from './journal.js';
import type { Wallet } from './wallet.js';

/**
 * Journals the expiry of every lot of a locked wallet that is past its expiry, so the stored balance
 * never counts credits that can no longer be spent. Returns the lots as they are afterwards.
 */
export async function expireDueLots(
  tx: DbOrTx,
  wallet: Wallet,
  lots: readonly CreditLot[],
  now: Date,
): Promise<CreditLot[]> {
  const expiries = planExpiry(lots, now);
  if (expiries.length === 0) return [...lots];
  await takeCredits(tx, wallet, expiries, 'expiry', {
    operationId: newId('exp'),
    actor: 'system',
    occurredAt: now,
  });
  return lotsAfter(lots, expiries);
}
