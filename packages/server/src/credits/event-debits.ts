import { type Catalog, decimalText } from '@tollgate/core';
import type { DbOrTx } from '../db/transaction.js';
import type { CreditEventDebit } from '../metering/ingest/credit-events.js';
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
  const ordered = [...debits].sort((a, b) =>
    a.organizationId === b.organizationId
      ? a.eventId < b.eventId
        ? -1
        : 1
      : a.organizationId < b.organizationId
        ? -1
        : 1,
  );
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

/** Metering's `debitCreditsForEvent` option (Tollgate options), backed by the ledger. */
export function createCreditEventDebitor(options: { catalog: Catalog; now: () => Date }) {
  return async (tx: DbOrTx, debits: readonly CreditEventDebit[]): Promise<void> => {
    await debitCreditEvents(tx, debits, options);
  };
}
