import type { CreditLot, LotMovement } from '@tollgate/core';

/** The wallet's lots as they are after `movements` were taken out of them. */
export function lotsAfter(lots: readonly CreditLot[], movements: readonly LotMovement[]): CreditLot[] {
  const taken = new Map(movements.map((movement) => [movement.lot_id, movement.amount]));
  return lots.map((lot) => {
    const amount = taken.get(lot.id);
    return amount ? { ...lot, remaining: lot.remaining.minus(amount) } : lot;
  });
}
