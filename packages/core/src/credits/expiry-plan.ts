import type { LotMovement } from './debit-plan.js';
import { type CreditLot, isExpired } from './lot.js';

/** Lots past their expiry that still hold credits: each gives an expiry entry for what is left. */
export function planExpiry(lots: readonly CreditLot[], now: Date): LotMovement[] {
  return lots
    .filter((lot) => isExpired(lot, now) && lot.remaining.gt(0))
    .map((lot) => ({ lot_id: lot.id, amount: lot.remaining }));
}
