import { Decimal } from '@tollgate/core';
import { eq } from 'drizzle-orm';
import { expect } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { creditJournal, creditLots } from '../../src/db/schema/index.js';

/**
 * The ledger's invariant for every wallet of an organization: each lot's remaining equals the sum of
 * its journal entries, so the balance (sum of lots' remaining) equals the sum of the journal; no lot is
 * below zero or above what it was granted. Returns the organization-wallet total for further checks.
 */
export async function expectLedgerInvariant(db: Database, organizationId: string): Promise<string> {
  const lots = await db.select().from(creditLots).where(eq(creditLots.organizationId, organizationId));
  const entries = await db
    .select()
    .from(creditJournal)
    .where(eq(creditJournal.organizationId, organizationId));
  const journalByLot = new Map<string, Decimal>();
  for (const entry of entries) {
    journalByLot.set(entry.lotId, (journalByLot.get(entry.lotId) ?? new Decimal(0)).plus(entry.amount));
  }
  let lotsTotal = new Decimal(0);
  let walletTotal = new Decimal(0);
  for (const lot of lots) {
    const remaining = new Decimal(lot.remaining);
    expect(remaining.gte(0), `lot ${lot.id} below zero: ${lot.remaining}`).toBe(true);
    expect(remaining.lte(lot.amount), `lot ${lot.id} above its amount`).toBe(true);
    expect(journalByLot.get(lot.id)?.toFixed(), `journal of lot ${lot.id}`).toBe(remaining.toFixed());
    lotsTotal = lotsTotal.plus(remaining);
    if (lot.walletUserId === '') walletTotal = walletTotal.plus(remaining);
  }
  const journalTotal = entries.reduce((total, entry) => total.plus(entry.amount), new Decimal(0));
  expect(journalTotal.toFixed()).toBe(lotsTotal.toFixed());
  for (const lotId of journalByLot.keys()) {
    expect(
      lots.some((lot) => lot.id === lotId),
      `journal names unknown lot ${lotId}`,
    ).toBe(true);
  }
  return walletTotal.toFixed();
}
