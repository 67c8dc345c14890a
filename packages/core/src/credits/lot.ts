import { Decimal } from '../decimal.js';

export const creditSources = ['purchased', 'subscription', 'promotional', 'transfer'] as const;
export type CreditSource = (typeof creditSources)[number];

export type CreditPrecedence = 'purchased_first' | 'soonest_expiry_first';

/** A grant of credits as the ledger sees it at one moment. */
export interface CreditLot {
  id: string;
  source: CreditSource;
  remaining: Decimal;
  /** null: never expires. The lot is spendable strictly before this instant. */
  expires_at: Date | null;
  granted_at: Date;
  /** Higher is spent first, before precedence applies; 0 unless an operator says otherwise. */
  priority: number;
}

/**
 * Under `purchased_first` the money a customer paid is used before anything else; credits given by
 * others (transfers, then promotions) next; the plan's allowance last, since it comes back every period.
 */
const sourceRank: Record<CreditSource, number> = {
  purchased: 0,
  transfer: 1,
  promotional: 2,
  subscription: 3,
};

export function isExpired(lot: Pick<CreditLot, 'expires_at'>, now: Date): boolean {
  return lot.expires_at !== null && lot.expires_at.getTime() <= now.getTime();
}

/** Spendable now: not expired and something left. */
export function isLive(lot: CreditLot, now: Date): boolean {
  return !isExpired(lot, now) && lot.remaining.gt(0);
}

function compareExpiry(a: CreditLot, b: CreditLot): number {
  if (a.expires_at === null) return b.expires_at === null ? 0 : 1;
  if (b.expires_at === null) return -1;
  return a.expires_at.getTime() - b.expires_at.getTime();
}

function compareGrant(a: CreditLot, b: CreditLot): number {
  const byTime = a.granted_at.getTime() - b.granted_at.getTime();
  if (byTime !== 0) return byTime;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The order lots are spent in: priority, then the precedence, then oldest grant (id breaks ties). */
export function compareForSpending(precedence: CreditPrecedence) {
  return (a: CreditLot, b: CreditLot): number => {
    if (a.priority !== b.priority) return b.priority - a.priority;
    const bySource = sourceRank[a.source] - sourceRank[b.source];
    const byExpiry = compareExpiry(a, b);
    const first = precedence === 'purchased_first' ? bySource : byExpiry;
    const second = precedence === 'purchased_first' ? byExpiry : bySource;
    return first || second || compareGrant(a, b);
  };
}

/** Live lots in spending order. */
export function spendingOrder(lots: readonly CreditLot[], now: Date, precedence: CreditPrecedence) {
  return lots.filter((lot) => isLive(lot, now)).sort(compareForSpending(precedence));
}

export function sumRemaining(lots: readonly Pick<CreditLot, 'remaining'>[]): Decimal {
  return lots.reduce((total, lot) => total.plus(lot.remaining), new Decimal(0));
}
