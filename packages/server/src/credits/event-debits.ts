import { type Catalog, decimalText } from '@tollgate/core';
import type { DbOrTx } from '../db/transaction.js';
import type { CreditEventDebit, CreditShortfall } from '../metering/ingest/credit-events.js';
import { queueNotification } from '../notifications/queue-notification.js';
import { type ConsumeResult, debitCreditsForEvent } from './consume.js';

/**
 * Debits each new credit event inside the ingestion transaction, in organization order, so two
 * concurrent batches lock wallets in the same order and cannot deadlock. An event the wallet cannot
 * pay for debits nothing (the event itself stays recorded); its answer says so.
 */
export async function debitCreditEvents(
  tx: DbOrTx,
  debits: readonly CreditEventDebit[],
  options: { catalog: Catalog; now: () => Date },
): Promise<ConsumeResult[]> {
  const ordered = inLockOrder(debits);
  const results: ConsumeResult[] = [];
  for (const debit of ordered) {
    results.push(
      await debitCreditsForEvent(
        tx,
        {
          organization_id: debit.organizationId,
          event_name: debit.event,
          quantity: decimalText(debit.quantity),
          project_id: debit.projectId,
          user_id: debit.userId,
          idempotency_key: debit.eventId,
          now: options.now(),
        },
        options.catalog,
      ),
    );
  }
  return results;
}

/** The debits by organization, then event id: the order wallets are locked in. */
function inLockOrder(debits: readonly CreditEventDebit[]): CreditEventDebit[] {
  return [...debits].sort((a, b) =>
    a.organizationId === b.organizationId
      ? a.eventId < b.eventId
        ? -1
        : 1
      : a.organizationId < b.organizationId
        ? -1
        : 1,
  );
}

/**
 * Metering's `debitCreditsForEvent` option (Tollgate options), backed by the ledger. An event the
 * wallet cannot pay is answered as a shortfall and announced to the organization
 * (`credits.event_unpaid`), in the ingestion transaction.
 */
export function createCreditEventDebitor(options: { catalog: Catalog }) {
  return async (tx: DbOrTx, debits: readonly CreditEventDebit[], now: Date): Promise<CreditShortfall[]> => {
    const ordered = inLockOrder(debits);
    const results = await debitCreditEvents(tx, ordered, { catalog: options.catalog, now: () => now });
    const shortfalls: CreditShortfall[] = [];
    for (const [position, result] of results.entries()) {
      const debit = ordered[position] as CreditEventDebit;
      if (result.allowed) continue;
      const shortfall = {
        organizationId: debit.organizationId,
        eventId: debit.eventId,
        credits: result.cost,
        balance: result.balance,
      };
      shortfalls.push(shortfall);
      await queueNotification(tx, {
        organizationId: debit.organizationId,
        kind: 'credits.event_unpaid',
        payload: {
          organization_id: debit.organizationId,
          event_id: debit.eventId,
          event: debit.event,
          credits: shortfall.credits,
          balance: shortfall.balance,
        },
        now,
      });
    }
    return shortfalls;
  };
}
