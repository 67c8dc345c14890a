import {
  type CreditPrecedence,
  compareForSpending,
  decimalText,
  isLive,
  summarizeBalance,
} from '@tollgate/core';
import { creditLots } from '../db/schema/index.js';
import type { DbOrTx } from '../db/transaction.js';
import { assertOrganizationExists } from './parties.js';
import { lotsOfWallet, toCoreLot, type Wallet } from './wallet.js';

const EXPIRING_SOON_MS = 7 * 86_400_000;

export type CreditBalanceView = {
  organization_id: string;
  user_id: string | null;
  balance: string;
  by_source: Record<string, string>;
  lots: {
    id: string;
    source: string;
    amount: string;
    remaining: string;
    expires_at: string | null;
    granted_at: string;
    priority: number;
  }[];
  expiring_soon: { lot: string; amount: string; expires_at: string }[];
};

/** The spendable balance now: live lots only, so credits past expiry never show even before the job runs. */
/** Lots are listed in the order they will be spent. */
export async function readCreditBalance(
  db: DbOrTx,
  wallet: Wallet,
  now: Date,
  precedence: CreditPrecedence,
): Promise<CreditBalanceView> {
  await assertOrganizationExists(db, wallet.organizationId);
  const rows = await db
    .select()
    .from(creditLots)
    .where(lotsOfWallet(wallet, { holdingCredits: false }));
  const live = rows.filter((row) => isLive(toCoreLot(row), now));
  const spendFirst = compareForSpending(precedence);
  const summary = summarizeBalance(live.map(toCoreLot), now, EXPIRING_SOON_MS);
  return {
    organization_id: wallet.organizationId,
    user_id: wallet.userId,
    balance: decimalText(summary.balance),
    by_source: Object.fromEntries(
      Object.entries(summary.by_source).map(([source, amount]) => [source, decimalText(amount)]),
    ),
    lots: live
      .sort((a, b) => spendFirst(toCoreLot(a), toCoreLot(b)))
      .map((row) => ({
        id: row.id,
        source: row.source,
        amount: decimalText(row.amount),
        remaining: decimalText(row.remaining),
        expires_at: row.expiresAt?.toISOString() ?? null,
        granted_at: row.grantedAt.toISOString(),
        priority: row.priority,
      })),
    expiring_soon: summary.expiring_soon.map((entry) => ({
      lot: entry.lot_id,
      amount: decimalText(entry.amount),
      expires_at: entry.expires_at.toISOString(),
    })),
  };
}
