import { type Catalog, decimalText, isLive, parseCreditAmount, sumRemaining } from '@tollgate/core';
import { recordAudit } from '../audit/record.js';
import { type DbOrTx, withTransaction } from '../db/transaction.js';
import { AppError } from '../errors.js';
import { expireDueLots } from './expire-due.js';
import { findOperation, storeOperation } from './idempotency.js';
import { addLot, newId } from './journal.js';
import { updateLowBalance } from './low-balance.js';
import { assertOrganizationExists, resolveUserWallet } from './parties.js';
import { openWallet, type Wallet } from './wallet.js';

export type GrantSource = 'purchased' | 'subscription' | 'promotional';

export type GrantInput = {
  organization_id: string;
  /** A user's reward wallet in the organization; absent: the organization's own. */
  user_id?: string | null | undefined;
  amount: string | number;
  source: GrantSource;
  expires_at?: Date | null | undefined;
  /** When the credits count from; defaults to now (an allocation passes its period start). */
  granted_at?: Date | undefined;
  priority?: number | undefined;
  note?: string | null | undefined;
  idempotency_key: string;
  now: Date;
  actor: string;
  /** Allocations keep their idempotency apart from operator grants. */
  kind?: 'grant' | 'allocation';
};

export type GrantResult = {
  lot: string;
  amount: string;
  source: GrantSource;
  expires_at: string | null;
  balance: string;
};

/** Adds a lot to a wallet: purchases (the Stripe issue calls this), promotions, subscription allowances. */
export async function grantCredits(db: DbOrTx, catalog: Catalog, input: GrantInput): Promise<GrantResult> {
  return (await grantCreditsOnce(db, catalog, input)).result;
}

/** grantCredits, also telling whether this call granted or replayed an earlier grant with the same key. */
export async function grantCreditsOnce(
  db: DbOrTx,
  catalog: Catalog,
  input: GrantInput,
): Promise<{ result: GrantResult; replayed: boolean }> {
  const parsed = parseCreditAmount(input.amount, catalog.definition.credits.whole_credits);
  if (!parsed.valid) throw new AppError(parsed.code, 400, parsed.message);
  const expiresAt = input.expires_at ?? null;
  if (expiresAt && expiresAt.getTime() <= input.now.getTime()) {
    throw new AppError('invalid_expiry', 400, 'expires_at must be in the future');
  }
  const request = {
    user_id: input.user_id ?? null,
    amount: decimalText(parsed.amount),
    source: input.source,
    expires_at: expiresAt?.toISOString() ?? null,
    priority: input.priority ?? 0,
  };
  const wallet: Wallet = { organizationId: input.organization_id, userId: input.user_id ?? null };
  const kind = input.kind ?? 'grant';
  return withTransaction(db, async (tx) => {
    if (wallet.userId !== null) {
      // A user's wallet lives in an organization the user belongs to (an organization's own wallet
      // finds its organization missing in openWallet).
      await assertOrganizationExists(tx, input.organization_id);
      await resolveUserWallet(tx, wallet.userId, input.organization_id, 'receiver');
    }
    const locked = await openWallet(tx, wallet);
    if (!locked) throw new AppError('not_found', 404, `organization "${input.organization_id}" not found`);
    const previous = await findOperation<GrantResult>(
      tx,
      input.organization_id,
      kind,
      input.idempotency_key,
      request,
    );
    if (previous) return { result: previous, replayed: true };
    const lots = await expireDueLots(tx, wallet, locked.lots, input.now);
    const operationId = newId('cgr');
    const grantedAt = input.granted_at ?? input.now;
    const lotId = await addLot(
      tx,
      wallet,
      { source: input.source, amount: parsed.amount, expiresAt, grantedAt, priority: input.priority ?? 0 },
      'grant',
      {
        operationId,
        actor: input.actor,
        occurredAt: input.now,
        userId: input.user_id ?? null,
        note: input.note ?? null,
      },
    );
    const after = [
      ...lots,
      {
        id: lotId,
        source: input.source,
        remaining: parsed.amount,
        expires_at: expiresAt,
        granted_at: grantedAt,
        priority: input.priority ?? 0,
      },
    ];
    const result: GrantResult = {
      lot: lotId,
      amount: request.amount,
      source: input.source,
      expires_at: request.expires_at,
      balance: decimalText(sumRemaining(after.filter((lot) => isLive(lot, input.now)))),
    };
    await storeOperation(tx, {
      organizationId: input.organization_id,
      kind,
      idempotencyKey: input.idempotency_key,
      id: operationId,
      request,
      response: result,
      createdAt: input.now,
    });
    await recordAudit(tx, {
      actor: input.actor,
      action: 'credits.grant',
      targetType: 'credit_lot',
      targetId: lotId,
      organizationId: input.organization_id,
      after: { ...request, lot: lotId },
    });
    await updateLowBalance(tx, {
      wallet,
      state: locked.state,
      lotsAfter: after,
      defaultThreshold: catalog.definition.credits.low_balance_threshold,
      now: input.now,
    });
    return { result, replayed: false };
  });
}
