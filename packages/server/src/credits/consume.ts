import { type Catalog, creditCost, decimalText, lotsAfter, planDebit } from '@tollgate/core';
import { type DbOrTx, withTransaction } from '../db/transaction.js';
import { AppError } from '../errors.js';
import { expireDueLots } from './expire-due.js';
import { claimOperation, releaseOperation } from './idempotency.js';
import { newId, takeCredits } from './journal.js';
import { updateLowBalance } from './low-balance.js';
import { assertOrganizationExists } from './parties.js';
import { lockWallet, type Wallet } from './wallet.js';

export type ConsumeInput = {
  organization_id: string;
  event_name: string;
  quantity?: string | number | undefined;
  project_id?: string | null | undefined;
  user_id?: string | null | undefined;
  idempotency_key: string;
  now: Date;
  actor?: string;
};

export type ConsumeResult =
  | { allowed: true; cost: string; balance: string; debited: { lot: string; amount: string }[] }
  | { allowed: false; code: 'insufficient_credits'; cost: string; balance: string };

/**
 * Debits credit_cost × quantity of a catalog credit event from the organization's wallet, all or
 * nothing. A repeated idempotency_key gets the first answer; a refusal writes nothing, so it is not kept.
 */
export async function consumeCredits(
  db: DbOrTx,
  catalog: Catalog,
  input: ConsumeInput,
): Promise<ConsumeResult> {
  const wholeCredits = catalog.definition.credits.whole_credits;
  const priced = creditCost(
    catalog.creditEvent(input.event_name)?.credits,
    input.event_name,
    input.quantity ?? 1,
    wholeCredits,
  );
  if (!priced.valid) throw new AppError(priced.code, 400, priced.message);
  const request = {
    event_name: input.event_name,
    quantity: decimalText(priced.quantity),
    project_id: input.project_id ?? null,
    user_id: input.user_id ?? null,
  };
  const wallet: Wallet = { organizationId: input.organization_id, userId: null };
  const claim = {
    organizationId: input.organization_id,
    kind: 'consume' as const,
    idempotencyKey: input.idempotency_key,
    request,
    createdAt: input.now,
  };
  const cost = decimalText(priced.cost);
  return withTransaction(db, async (tx) => {
    const claimed = await claimOperation<ConsumeResult>(tx, claim);
    if (!claimed.claimed) return claimed.response;
    const refuse = async (balance: string): Promise<ConsumeResult> => {
      await releaseOperation(tx, claim);
      return { allowed: false, code: 'insufficient_credits', cost, balance };
    };
    const locked = await lockWallet(tx, wallet);
    if (!locked || locked.lots.length === 0) {
      // Nothing to spend: tell an unknown organization apart from an empty wallet.
      await assertOrganizationExists(tx, input.organization_id);
      return refuse('0');
    }
    const lots = await expireDueLots(tx, wallet, locked.lots, input.now);
    const plan = planDebit({
      lots,
      now: input.now,
      amount: priced.cost,
      precedence: catalog.definition.credits.precedence,
    });
    if (!plan.sufficient) return refuse(decimalText(plan.balance));
    const result: ConsumeResult = {
      allowed: true,
      cost,
      balance: decimalText(plan.balance_after),
      debited: plan.debits.map((debit) => ({ lot: debit.lot_id, amount: decimalText(debit.amount) })),
    };
    await takeCredits(
      tx,
      wallet,
      plan.debits,
      'debit',
      {
        operationId: newId('cop'),
        actor: input.actor ?? 'system',
        occurredAt: input.now,
        eventName: input.event_name,
        projectId: input.project_id ?? null,
        userId: input.user_id ?? null,
      },
      { kind: 'consume', idempotencyKey: input.idempotency_key, response: result },
    );
    await updateLowBalance(tx, {
      wallet,
      state: locked.state,
      lotsAfter: lotsAfter(lots, plan.debits),
      defaultThreshold: catalog.definition.credits.low_balance_threshold,
      now: input.now,
    });
    return result;
  });
}

/**
 * The extension point metering calls for an ingested event whose name is a credit event, inside its
 * own transaction: the event's id is the idempotency key, so a repeated event is debited once.
 */
export function debitCreditsForEvent(
  tx: DbOrTx,
  input: {
    organization_id: string;
    event_name: string;
    quantity: string | number;
    project_id?: string | null;
    user_id?: string | null;
    idempotency_key: string;
    now: Date;
  },
  catalog: Catalog,
): Promise<ConsumeResult> {
  return consumeCredits(tx, catalog, {
    ...input,
    idempotency_key: `event:${input.idempotency_key}`,
    actor: 'system:events',
  });
}
