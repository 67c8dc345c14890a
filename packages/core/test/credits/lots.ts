import { type CreditLot, type CreditSource, Decimal } from '../../src/index.js';

export const now = new Date('2026-03-15T12:00:00Z');
export const day = 86_400_000;

export function lot(
  id: string,
  source: CreditSource,
  remaining: string | number,
  options: { expires_in_days?: number | null; granted_days_ago?: number; priority?: number } = {},
): CreditLot {
  const expiresIn = options.expires_in_days ?? null;
  return {
    id,
    source,
    remaining: new Decimal(remaining),
    expires_at: expiresIn === null ? null : new Date(now.getTime() + expiresIn * day),
    granted_at: new Date(now.getTime() - (options.granted_days_ago ?? 1) * day),
    priority: options.priority ?? 0,
  };
}

/** Movements as plain text pairs, so expectations read like the ledger. */
export function movements(list: readonly { lot_id: string; amount: Decimal }[]): [string, string][] {
  return list.map((movement) => [movement.lot_id, movement.amount.toFixed()]);
}
