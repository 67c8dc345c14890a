import { expect } from 'vitest';
import type { Harness } from '../support/harness.js';
import { expectLedgerInvariant } from './ledger-invariant.js';

let keys = 0;
export const key = (label: string) => `${label}-${++keys}`;

export async function createOrganization(harness: Harness, id: string, extra: Record<string, unknown> = {}) {
  const created = await harness.request('POST', '/v1/organizations', { body: { id, name: id, ...extra } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
}

export async function grant(harness: Harness, organizationId: string, body: Record<string, unknown>) {
  return harness.request('POST', `/v1/organizations/${organizationId}/credits/grants`, {
    body: { idempotency_key: key('grant'), ...body },
  });
}

export async function consume(harness: Harness, body: Record<string, unknown>) {
  return harness.request('POST', '/v1/credits/consume', {
    body: { idempotency_key: key('consume'), ...body },
  });
}

export async function transfer(harness: Harness, body: Record<string, unknown>) {
  return harness.request('POST', '/v1/credits/transfer', {
    body: { idempotency_key: key('transfer'), ...body },
  });
}

/**
 * Reads the balance through the API and checks it against the ledger's invariant: the API balance, the
 * sum of the lots' remaining and the sum of the journal all agree. Returns the balance body.
 */
export async function expectBalance(harness: Harness, organizationId: string, balance: string) {
  const read = await harness.request('GET', `/v1/organizations/${organizationId}/credits`);
  expect(read.status).toBe(200);
  expect(read.body.balance).toBe(balance);
  const ledgerTotal = await expectLedgerInvariant(harness.tollgate.database.db, organizationId);
  expect(ledgerTotal).toBe(balance);
  return read.body;
}

/** The journal, oldest first, as [kind, amount] pairs: the shape the scenario reads in. */
export async function journal(harness: Harness, organizationId: string): Promise<[string, string][]> {
  const read = await harness.request(
    'GET',
    `/v1/organizations/${organizationId}/credits/transactions?limit=100`,
  );
  expect(read.status).toBe(200);
  return read.body.data
    .reverse()
    .map((entry: { kind: string; amount: string }) => [entry.kind, entry.amount]);
}
