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
