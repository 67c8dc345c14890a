import { Decimal } from '../decimal.js';
import { type CreditLot, type CreditSource, creditSources, isLive, sumRemaining } from './lot.js';

export interface CreditBalanceSummary {
  balance: Decimal;
  by_source: Record<CreditSource, Decimal>;
  /** Live lots that expire within the window, soonest first. */
  expiring_soon: { lot_id: string; amount: Decimal; expires_at: Date }[];
}

export function summarizeBalance(
  lots: readonly CreditLot[],
  now: Date,
  soonMs: number,
): CreditBalanceSummary {
  const live = lots.filter((lot) => isLive(lot, now));
  const by_source = Object.fromEntries(
    creditSources.map((source) => [source, sumRemaining(live.filter((lot) => lot.source === source))]),
  ) as Record<CreditSource, Decimal>;
  const horizon = now.getTime() + soonMs;
  const expiring_soon = live
    .filter((lot) => lot.expires_at !== null && lot.expires_at.getTime() <= horizon)
    .sort((a, b) => (a.expires_at?.getTime() ?? 0) - (b.expires_at?.getTime() ?? 0))
    .map((lot) => ({ lot_id: lot.id, amount: lot.remaining, expires_at: lot.expires_at as Date }));
  return {
    balance: live.reduce((total, lot) => total.plus(lot.remaining), new Decimal(0)),
    by_source,
    expiring_soon,
  };
}
