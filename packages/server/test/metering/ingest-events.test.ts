import { describe, expect, it } from 'vitest';
import { TEST_ADMIN_KEY, describeEachDatabase } from '../support/harness.js';

const counter = async (harness: ReturnType<Parameters<Parameters<typeof describeEachDatabase>[1]>[0]>, organizationId: string, feature: string) => {
  const rows = (await harness.tollgate.database.db.execute(
    // biome-ignore lint/suspicious/noExplicitAny: raw row
    `select used::text from usage_counters where organization_id = '${organizationId}' and feature = '${feature}' and project_id = ''` as any,
  )) as unknown as { rows: { used: string }[] };
  return rows.rows[0]?.used ?? '0';
};
void counter;
void TEST_ADMIN_KEY;

describeEachDatabase('POST /v1/events', (harness) => {
  it('stores events once and counts them', async () => {
    await harness().request('POST', '/v1/organizations', { body: { id: 'org_ingest', name: 'Ingest' } });
    const events = [
      { id: 'e1', organization_id: 'org_ingest', event: 'llm_tokens', quantity: 100 },
      { id: 'e2', organization_id: 'org_ingest', event: 'llm_tokens', quantity: '0.5', project_id: 'p1' },
      { id: 'e1', organization_id: 'org_ingest', event: 'llm_tokens', quantity: 100 },
    ];
    const first = await harness().request('POST', '/v1/events', { body: { events } });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ accepted: 2, duplicates: 1, rejected: [] });
    const again = await harness().request('POST', '/v1/events', { body: { events } });
    expect(again.body).toEqual({ accepted: 0, duplicates: 3, rejected: [] });
  });
});
