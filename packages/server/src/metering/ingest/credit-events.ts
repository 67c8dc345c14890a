import type { Decimal } from '@tollgate/core';
import type { DbOrTx } from '../../db/transaction.js';

/** One newly stored usage event whose name is a catalog credit event (`ai_inference` costs 25 …). */
export type CreditEventDebit = {
  organizationId: string;
  /** The usage event id: the debit's idempotency key, since the event is stored once, forever. */
  eventId: string;
  event: string;
  quantity: Decimal;
  /** quantity × the credit event's price in credits. */
  credits: Decimal;
  projectId: string | null;
  userId: string | null;
  timestamp: Date;
};

/** A newly stored credit event the organization's wallet could not pay: nothing was debited for it. */
export type CreditShortfall = {
  organizationId: string;
  eventId: string;
  /** Credits the event costs. */
  credits: string;
  /** The wallet's balance when it was refused. */
  balance: string;
};

/**
 * Extension point for the credit ledger (issue 4): debits credits for newly ingested credit events.
 * It runs inside the ingestion transaction, after the events are stored and only for events not
 * seen before, so a repeated event id never debits twice. The credit ledger's adapter
 * (credits/event-debits.ts) is wired by default in createTollgate; without any debitor, credit events
 * are rejected per event with `credits_not_enabled` instead of being silently kept. It answers the
 * events the wallet could not pay, which the ingest answer reports as `credit_shortfalls`.
 */
export type DebitCreditsForEvent = (
  tx: DbOrTx,
  debits: CreditEventDebit[],
  /** The ingestion's time: the debits' and the shortfall notifications' time. */
  now: Date,
) => Promise<readonly CreditShortfall[]>;
