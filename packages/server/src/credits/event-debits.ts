import { type Catalog, decimalText } from '@tollgate/core';
import type { DbOrTx } from '../db/transaction.js';
import type { CreditEventDebit } from '../metering/credit-events.js';
import { type ConsumeResult, debitCreditsForEvent } from './consume.js';

/**
 * Adapts the ledger to metering's `debitCreditsForEvent` option: debits each new credit event inside
 * the ingestion transaction. Debits are taken in organization order, so two concurrent batches lock
 * wallets in the same order and cannot deadlock. An event the wallet cannot pay for debits nothing
 * (the event itself stays recorded); its answer says so.
 */
export function createCreditEventDebitor(options: { catalog: Catalog; now: () => Date }) {
  return async (tx: DbOrTx, debits: readonly CreditEventDebit[]): Promise<ConsumeResult[]> => {
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
  };
}
