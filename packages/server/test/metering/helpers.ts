import { toDecimal } from '@tollgate/core';
import { loadCheckStates } from '../../src/metering/check/check-state.js';
import { createUpgradeLinks } from '../../src/metering/check-answer.js';
import { consumeBatch } from '../../src/metering/consume/consume-batch.js';
import type { ConsumeMemory } from '../../src/metering/consume/consume-memory.js';
import type { CheckAnswer, CheckInput } from '../../src/metering/types.js';
import type { Harness } from '../support/harness.js';

export async function createOrganization(harness: Harness, id: string, plan?: string) {
  const response = await harness.request('POST', '/v1/organizations', {
    body: { id, name: id, ...(plan && { plan }) },
  });
  if (response.status !== 201) throw new Error(`creating ${id}: ${JSON.stringify(response.body)}`);
}

export async function ingest(harness: Harness, events: object[]) {
  return harness.request('POST', '/v1/events', { body: { events } });
}

export async function usageOf(harness: Harness, organizationId: string, feature: string) {
  const response = await harness.request('GET', `/v1/organizations/${organizationId}/usage`);
  if (response.status !== 200) throw new Error(JSON.stringify(response.body));
  return response.body.features.find((line: { feature: string }) => line.feature === feature);
}

export async function sqlRows<Row>(harness: Harness, text: string): Promise<Row[]> {
  const { sql } = await import('drizzle-orm');
  const result = (await harness.tollgate.database.db.execute(sql.raw(text))) as unknown as { rows: Row[] };
  return result.rows;
}

export type ConsumeRequest = Partial<Omit<CheckInput, 'quantity'>> & {
  organizationId: string;
  quantity: number;
};

/**
 * Runs consumes of `exports` as one batch, in this order, as the server does for concurrent checks: on
 * PostgreSQL through the statement transactions, and decided from `memory` when one is given.
 */
export async function consumeTogether(harness: Harness, requests: ConsumeRequest[], memory?: ConsumeMemory) {
  const { db, catalog } = harness.tollgate.context;
  const now = harness.clock.now;
  const feature = { code: 'exports', reset: 'billing_period' as const };
  const states = await loadCheckStates(
    db,
    requests.map((request) => ({ organizationId: request.organizationId, feature, now })),
    catalog,
  );
  return consumeBatch(
    db,
    catalog,
    createUpgradeLinks(catalog, () => harness.tollgate.context.publicUrl),
    requests.map((request, index) => {
      const state = states[index];
      if (!state) throw new Error(`no organization ${request.organizationId}`);
      return {
        input: { feature: 'exports', consume: true, ...request, quantity: toDecimal(request.quantity) },
        context: state.context,
        now,
      };
    }),
    harness.tollgate.database.statementTransaction,
    memory,
  );
}

/** An answer as [allowed, used], or the error itself. */
export const allowedUsed = (answer: CheckAnswer | Error | undefined) =>
  answer instanceof Error || answer === undefined ? answer : [answer.allowed, answer.used];
