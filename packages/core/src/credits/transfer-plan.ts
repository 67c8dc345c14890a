import { Decimal } from '../decimal.js';
import { takeFromLots } from './debit-plan.js';
import {
  type CreditLot,
  type CreditPrecedence,
  type CreditSource,
  spendingOrder,
  sumRemaining,
} from './lot.js';

/**
 * Only credits someone paid for or was given may be passed on; the plan's subscription allowance may
 * not. Transfer lots only ever hold purchased or promotional credits, so they may be passed on again.
 */
export const transferableSources: readonly CreditSource[] = ['purchased', 'promotional', 'transfer'];

export interface TransferPiece {
  lot_id: string;
  amount: Decimal;
  expires_at: Date | null;
}

export type TransferPlan =
  | {
      allowed: true;
      amount: Decimal;
      pieces: TransferPiece[];
      /** One receiver lot per distinct expiry given, so received credits expire when the given ones would. */
      receiver_lots: { amount: Decimal; expires_at: Date | null }[];
    }
  | { allowed: false; code: 'insufficient_transferable_credits'; amount: Decimal; transferable: Decimal }
  | { allowed: false; code: 'daily_transfer_limit_exceeded'; amount: Decimal; remaining_today: Decimal };

/** Start of the UTC day `now` falls in: the window the per-sender daily limit counts over. */
export function transferDayStart(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

export function planTransfer(input: {
  lots: readonly CreditLot[];
  now: Date;
  amount: Decimal;
  precedence: CreditPrecedence;
  /** null: no limit. */
  dailyLimit: Decimal | null;
  /** What this sender has already given since transferDayStart(now). */
  transferredToday: Decimal;
}): TransferPlan {
  if (!input.amount.gt(0)) throw new RangeError('a transfer must be positive');
  if (input.dailyLimit !== null) {
    const remainingToday = input.dailyLimit.minus(input.transferredToday);
    if (input.amount.gt(remainingToday)) {
      return {
        allowed: false,
        code: 'daily_transfer_limit_exceeded',
        amount: input.amount,
        remaining_today: Decimal.max(remainingToday, 0),
      };
    }
  }
  const givable = spendingOrder(
    input.lots.filter((lot) => transferableSources.includes(lot.source)),
    input.now,
    input.precedence,
  );
  const transferable = sumRemaining(givable);
  if (transferable.lt(input.amount)) {
    return { allowed: false, code: 'insufficient_transferable_credits', amount: input.amount, transferable };
  }
  const expiryOf = new Map(givable.map((lot) => [lot.id, lot.expires_at]));
  const pieces = takeFromLots(givable, input.amount).map((movement) => ({
    ...movement,
    expires_at: expiryOf.get(movement.lot_id) ?? null,
  }));
  const byExpiry = new Map<number | null, { amount: Decimal; expires_at: Date | null }>();
  for (const piece of pieces) {
    const key = piece.expires_at?.getTime() ?? null;
    const existing = byExpiry.get(key);
    if (existing) existing.amount = existing.amount.plus(piece.amount);
    else byExpiry.set(key, { amount: piece.amount, expires_at: piece.expires_at });
  }
  return { allowed: true, amount: input.amount, pieces, receiver_lots: [...byExpiry.values()] };
}
