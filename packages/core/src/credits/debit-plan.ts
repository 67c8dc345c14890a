import { Decimal } from '../decimal.js';
import { type CreditLot, type CreditPrecedence, spendingOrder, sumRemaining } from './lot.js';

export interface LotMovement {
  lot_id: string;
  amount: Decimal;
}

export type DebitPlan =
  | {
      sufficient: true;
      amount: Decimal;
      debits: LotMovement[];
      balance_before: Decimal;
      balance_after: Decimal;
    }
  | { sufficient: false; code: 'insufficient_credits'; amount: Decimal; balance: Decimal };

/** Takes `lots` in spending order until `amount` is covered. Exact; all or nothing. */
export function takeFromLots(lots: readonly CreditLot[], amount: Decimal): LotMovement[] {
  const movements: LotMovement[] = [];
  let left = amount;
  for (const lot of lots) {
    if (!left.gt(0)) break;
    const taken = Decimal.min(lot.remaining, left);
    movements.push({ lot_id: lot.id, amount: taken });
    left = left.minus(taken);
  }
  if (left.gt(0)) throw new RangeError('lots do not cover the amount');
  return movements;
}

/** Which live lots give how much for a debit of `amount` at `now`, or why it cannot be done. */
export function planDebit(input: {
  lots: readonly CreditLot[];
  now: Date;
  amount: Decimal;
  precedence: CreditPrecedence;
}): DebitPlan {
  if (!input.amount.gt(0)) throw new RangeError('a debit must be positive');
  const ordered = spendingOrder(input.lots, input.now, input.precedence);
  const balance = sumRemaining(ordered);
  if (balance.lt(input.amount)) {
    return { sufficient: false, code: 'insufficient_credits', amount: input.amount, balance };
  }
  return {
    sufficient: true,
    amount: input.amount,
    debits: takeFromLots(ordered, input.amount),
    balance_before: balance,
    balance_after: balance.minus(input.amount),
  };
}

/** The wallet's lots as they are after `movements` were taken out of them. */
export function lotsAfter(lots: readonly CreditLot[], movements: readonly LotMovement[]): CreditLot[] {
  const taken = new Map(movements.map((movement) => [movement.lot_id, movement.amount]));
  return lots.map((lot) => {
    const amount = taken.get(lot.id);
    return amount ? { ...lot, remaining: lot.remaining.minus(amount) } : lot;
  });
}
