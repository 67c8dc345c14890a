import { type CreditLot, type CreditSource, Decimal } from '@tollgate/core';
import { and, eq, gt } from 'drizzle-orm';
import { queryPreparedIn } from '../db/fixed-statements.js';
import { namedStatement } from '../db/named-statement.js';
import { creditLots, creditWallets } from '../db/schema/index.js';
import { rowOfTable } from '../db/table-rows.js';
import type { DbOrTx } from '../db/transaction.js';

/** An organization's own wallet (userId null) or one of its users' wallets. */
export type Wallet = { organizationId: string; userId: string | null };

export const walletKey = (wallet: Wallet) => wallet.userId ?? '';

/** The lots of one wallet; `holdingCredits` leaves out the ones spent or expired to zero. */
export function lotsOfWallet(wallet: Wallet, options: { holdingCredits: boolean }) {
  return and(
    eq(creditLots.organizationId, wallet.organizationId),
    eq(creditLots.walletUserId, walletKey(wallet)),
    options.holdingCredits ? gt(creditLots.remaining, '0') : undefined,
  );
}

export function describeWallet(wallet: Wallet): string {
  return wallet.userId === null
    ? `organization:${wallet.organizationId}`
    : `user:${wallet.organizationId}/${wallet.userId}`;
}

export type WalletState = { lowBalanceThreshold: string | null; lowBalanceArmed: boolean };

/** Creates the wallet row when missing; it is the lock every write to the wallet takes first. */
export async function ensureWallet(tx: DbOrTx, wallet: Wallet): Promise<void> {
  await tx
    .insert(creditWallets)
    .values({ organizationId: wallet.organizationId, walletUserId: walletKey(wallet) })
    .onConflictDoNothing();
}

/**
 * Creates the wallet row when missing and locks it, in one statement (an upsert locks the row it
 * finds), then locks its lots as `lockWallet` does. Undefined: the organization does not exist.
 */
export async function openWallet(
  tx: DbOrTx,
  wallet: Wallet,
): Promise<{ state: WalletState; lots: CreditLot[] } | undefined> {
  const [state] = await queryPreparedIn<{ low_balance_threshold: string | null; low_balance_armed: boolean }>(
    tx,
    OPEN_WALLET,
    [wallet.organizationId, walletKey(wallet)],
  );
  if (!state) return undefined;
  return {
    state: { lowBalanceThreshold: state.low_balance_threshold, lowBalanceArmed: state.low_balance_armed },
    lots: await lockLots(tx, wallet),
  };
}

/**
 * Locks the wallet row, then the wallet's lots that hold credits (SELECT … FOR UPDATE), so concurrent
 * writers to one wallet run one after another and none can spend credits another has already taken.
 * The wallet row comes first and alone: transactions may see different sets of lots (one granted
 * meanwhile), and a lock taken in the middle of differing sets could deadlock. Undefined: no wallet yet.
 */
export async function lockWallet(
  tx: DbOrTx,
  wallet: Wallet,
): Promise<{ state: WalletState; lots: CreditLot[] } | undefined> {
  const [state] = await tx
    .select({
      lowBalanceThreshold: creditWallets.lowBalanceThreshold,
      lowBalanceArmed: creditWallets.lowBalanceArmed,
    })
    .from(creditWallets)
    .where(
      and(
        eq(creditWallets.organizationId, wallet.organizationId),
        eq(creditWallets.walletUserId, walletKey(wallet)),
      ),
    )
    .for('update');
  if (!state) return undefined;
  return { state, lots: await lockLots(tx, wallet) };
}

async function lockLots(tx: DbOrTx, wallet: Wallet): Promise<CreditLot[]> {
  const rows = await queryPreparedIn<Record<string, unknown>>(tx, LOCK_LOTS, [
    wallet.organizationId,
    walletKey(wallet),
  ]);
  return rows.map((raw) => toCoreLot(rowOfTable(creditLots, raw)));
}

const OPEN_WALLET = namedStatement(
  'credit_wallet_open',
  ['organizationId', 'walletUserId'],
  (p) => `insert into credit_wallets (organization_id, wallet_user_id)
    select id, ${p.walletUserId} from organizations where id = ${p.organizationId}
    on conflict (organization_id, wallet_user_id) do update set organization_id = excluded.organization_id
    returning low_balance_threshold, low_balance_armed`,
);

const LOCK_LOTS = namedStatement(
  'credit_lots_lock',
  ['organizationId', 'walletUserId'],
  (p) => `select * from credit_lots
    where organization_id = ${p.organizationId} and wallet_user_id = ${p.walletUserId} and remaining > 0
    order by id for update`,
);

/** The lots of a wallet that still hold credits, without locking (reads). */
export async function readWalletLots(tx: DbOrTx, wallet: Wallet): Promise<CreditLot[]> {
  const rows = await tx
    .select()
    .from(creditLots)
    .where(lotsOfWallet(wallet, { holdingCredits: true }));
  return rows.map(toCoreLot);
}

export function toCoreLot(row: typeof creditLots.$inferSelect): CreditLot {
  return {
    id: row.id,
    source: row.source as CreditSource,
    remaining: new Decimal(row.remaining),
    expires_at: row.expiresAt,
    granted_at: row.grantedAt,
    priority: row.priority,
  };
}
