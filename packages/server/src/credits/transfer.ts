import {
  type Catalog,
  Decimal,
  decimalText,
  isLive,
  lotsAfter,
  parseCreditAmount,
  planTransfer,
  sumRemaining,
} from '@tollgate/core';
import { recordAudit } from '../audit/record.js';
import { type DbOrTx, withTransaction } from '../db/transaction.js';
import { AppError } from '../errors.js';
import { findOperation, storeOperation } from './idempotency.js';
import { addLot, newId, takeCredits } from './journal.js';
import { updateLowBalance } from './low-balance.js';
import { assertOrganizationExists, resolveUserWallet } from './parties.js';
import { lockWalletsForTransfer, transferredToday } from './transfer-support.js';
import { describeWallet, readWalletLots, type Wallet } from './wallet.js';

export type TransferInput = {
  from_organization_id?: string | undefined;
  from_user_id?: string | undefined;
  to_organization_id?: string | undefined;
  to_user_id?: string | undefined;
  amount: string | number;
  note?: string | undefined;
  idempotency_key: string;
  now: Date;
  actor: string;
};

type Party = { organization_id: string; user_id: string | null };

export type TransferResult =
  | {
      allowed: true;
      transfer: string;
      amount: string;
      from: Party;
      to: Party;
      balance: string;
      received: { lot: string; amount: string; expires_at: string | null }[];
    }
  | { allowed: false; code: 'insufficient_transferable_credits'; amount: string; transferable: string }
  | { allowed: false; code: 'daily_transfer_limit_exceeded'; amount: string; remaining_today: string };

async function resolveWallet(
  tx: DbOrTx,
  organizationId: string | undefined,
  userId: string | undefined,
  role: 'sender' | 'receiver',
): Promise<Wallet> {
  if (userId !== undefined) return resolveUserWallet(tx, userId, organizationId, role);
  if (organizationId === undefined) {
    const side = role === 'sender' ? 'from' : 'to';
    throw new AppError('invalid_request', 400, `name ${side}_organization_id or ${side}_user_id`);
  }
  try {
    await assertOrganizationExists(tx, organizationId);
  } catch {
    throw new AppError(`unknown_${role}`, 404, `organization "${organizationId}" not found`);
  }
  return { organizationId, userId: null };
}

const party = (wallet: Wallet): Party => ({ organization_id: wallet.organizationId, user_id: wallet.userId });

/** Gives purchased or promotional credits to another wallet, atomically, journaled on both sides. */
export async function transferCredits(
  db: DbOrTx,
  catalog: Catalog,
  input: TransferInput,
): Promise<TransferResult> {
  const settings = catalog.definition.credits;
  const parsed = parseCreditAmount(input.amount, settings.whole_credits);
  if (!parsed.valid) throw new AppError(parsed.code, 400, parsed.message);
  const amount = parsed.amount;
  return withTransaction(db, async (tx) => {
    const sender = await resolveWallet(tx, input.from_organization_id, input.from_user_id, 'sender');
    const receiver = await resolveWallet(tx, input.to_organization_id, input.to_user_id, 'receiver');
    if (describeWallet(sender) === describeWallet(receiver)) {
      throw new AppError('transfer_to_self', 400, 'a wallet cannot transfer credits to itself');
    }
    const request = {
      from: party(sender),
      to: party(receiver),
      amount: decimalText(amount),
      note: input.note ?? null,
    };
    const { senderLots, senderState, receiverState } = await lockWalletsForTransfer(
      tx,
      sender,
      receiver,
      input.now,
    );
    const previous = await findOperation<TransferResult>(
      tx,
      sender.organizationId,
      'transfer',
      input.idempotency_key,
      request,
    );
    if (previous) return previous;
    const plan = planTransfer({
      lots: senderLots,
      now: input.now,
      amount,
      precedence: settings.precedence,
      dailyLimit: settings.transfer_daily_limit === null ? null : new Decimal(settings.transfer_daily_limit),
      transferredToday: await transferredToday(tx, sender, input.now),
    });
    if (!plan.allowed) {
      return plan.code === 'daily_transfer_limit_exceeded'
        ? {
            allowed: false,
            code: plan.code,
            amount: request.amount,
            remaining_today: decimalText(plan.remaining_today),
          }
        : {
            allowed: false,
            code: plan.code,
            amount: request.amount,
            transferable: decimalText(plan.transferable),
          };
    }
    const operationId = newId('ctr');
    const shared = { operationId, actor: input.actor, occurredAt: input.now, note: input.note ?? null };
    await takeCredits(tx, sender, plan.pieces, 'transfer_out', {
      ...shared,
      userId: sender.userId,
      counterparty: describeWallet(receiver),
    });
    const received: { lot: string; amount: string; expires_at: string | null }[] = [];
    for (const lot of plan.receiver_lots) {
      const lotId = await addLot(
        tx,
        receiver,
        { source: 'transfer', amount: lot.amount, expiresAt: lot.expires_at, grantedAt: input.now },
        'transfer_in',
        { ...shared, userId: receiver.userId, counterparty: describeWallet(sender) },
      );
      received.push({
        lot: lotId,
        amount: decimalText(lot.amount),
        expires_at: lot.expires_at?.toISOString() ?? null,
      });
    }
    const senderAfter = lotsAfter(senderLots, plan.pieces);
    const result: TransferResult = {
      allowed: true,
      transfer: operationId,
      amount: request.amount,
      from: request.from,
      to: request.to,
      balance: decimalText(sumRemaining(senderAfter.filter((lot) => isLive(lot, input.now)))),
      received,
    };
    await storeOperation(tx, {
      organizationId: sender.organizationId,
      kind: 'transfer',
      idempotencyKey: input.idempotency_key,
      id: operationId,
      request,
      response: result,
      createdAt: input.now,
    });
    for (const [side, wallet] of [
      ['transfer_out', sender],
      ['transfer_in', receiver],
    ] as const) {
      await recordAudit(tx, {
        actor: input.actor,
        action: `credits.${side}`,
        targetType: 'credit_transfer',
        targetId: operationId,
        organizationId: wallet.organizationId,
        after: request,
      });
    }
    const defaultThreshold = settings.low_balance_threshold;
    await updateLowBalance(tx, {
      wallet: sender,
      state: senderState,
      lotsAfter: senderAfter,
      defaultThreshold,
      now: input.now,
    });
    const receiverLots = await readWalletLots(tx, receiver);
    await updateLowBalance(tx, {
      wallet: receiver,
      state: receiverState,
      lotsAfter: receiverLots,
      defaultThreshold,
      now: input.now,
    });
    return result;
  });
}
