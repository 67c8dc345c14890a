import { type Catalog, Decimal, decimalText, isLive, sumRemaining } from '@tollgate/core';
import { recordAudit } from '../audit/record.js';
import { type DbOrTx, withTransaction } from '../db/transaction.js';
import { AppError } from '../errors.js';
import type { ConsumeResult } from './consume.js';
import { answerOperation, claimOperation, findOperation } from './idempotency.js';
import { newId, returnCredits } from './journal.js';
import { updateLowBalance } from './low-balance.js';
import { assertOrganizationExists } from './parties.js';
import { lockWallet, readWalletLots, type Wallet } from './wallet.js';

export type RefundResult = { refunded: string; balance: string; credited: { lot: string; amount: string }[] };

/**
 * Gives back what one consume debited (a failed AI call, say), into the very lots it came from, so
 * the credits keep their source and expiry. Once per consume: the consume's key is the refund's key.
 */
export async function refundConsume(
  db: DbOrTx,
  catalog: Catalog,
  input: {
    organization_id: string;
    consume_idempotency_key: string;
    note?: string | undefined;
    now: Date;
    actor: string;
  },
): Promise<RefundResult> {
  const wallet: Wallet = { organizationId: input.organization_id, userId: null };
  const claim = {
    organizationId: input.organization_id,
    kind: 'refund' as const,
    idempotencyKey: input.consume_idempotency_key,
    request: { consume_idempotency_key: input.consume_idempotency_key },
    createdAt: input.now,
  };
  return withTransaction(db, async (tx) => {
    await assertOrganizationExists(tx, input.organization_id);
    const claimed = await claimOperation<RefundResult>(tx, claim);
    if (!claimed.claimed) return claimed.response;
    const consumed = await findOperation<ConsumeResult>(
      tx,
      input.organization_id,
      'consume',
      input.consume_idempotency_key,
      undefined,
      { compareRequest: false },
    );
    if (!consumed?.allowed) {
      throw new AppError(
        'consume_not_found',
        404,
        `no consume with idempotency_key "${input.consume_idempotency_key}"`,
      );
    }
    const locked = await lockWallet(tx, wallet);
    if (!locked) throw new Error('a consume was recorded for an organization without a wallet');
    const movements = consumed.debited.map((debit) => ({
      lot_id: debit.lot,
      amount: new Decimal(debit.amount),
    }));
    const operationId = newId('crf');
    await returnCredits(tx, wallet, movements, {
      operationId,
      actor: input.actor,
      occurredAt: input.now,
      note: input.note ?? null,
    });
    const lotsAfter = await readWalletLots(tx, wallet);
    const result: RefundResult = {
      refunded: consumed.cost,
      balance: decimalText(sumRemaining(lotsAfter.filter((lot) => isLive(lot, input.now)))),
      credited: consumed.debited,
    };
    await answerOperation(tx, claim, { id: operationId, response: result });
    await recordAudit(tx, {
      actor: input.actor,
      action: 'credits.refund',
      targetType: 'credit_consume',
      targetId: input.consume_idempotency_key,
      organizationId: input.organization_id,
      after: result,
    });
    await updateLowBalance(tx, {
      wallet,
      state: locked.state,
      lotsAfter,
      defaultThreshold: catalog.definition.credits.low_balance_threshold,
      now: input.now,
    });
    return result;
  });
}
