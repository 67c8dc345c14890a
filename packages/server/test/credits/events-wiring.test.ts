import { expect, it } from 'vitest';
import { describeEachDatabase } from '../support/harness.js';
import { createOrganization, expectBalance, grant, journal } from './credit-api.js';

/** POST /v1/events with credit events (wired by default in createTollgate): journal and invariant. */
describeEachDatabase('credit events through POST /v1/events', (harness) => {
  it('debits each new credit event once; a repeated event id debits nothing more', async () => {
    const h = harness();
    await createOrganization(h, 'org_ingest');
    await grant(h, 'org_ingest', { amount: 100, source: 'purchased' });
    const event = { id: 'evt_ai_1', organization_id: 'org_ingest', event: 'ai_inference', quantity: 2 };
    const first = await h.request('POST', '/v1/events', { body: { events: [event] } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ accepted: 1, duplicates: 0, rejected: [] });
    const again = await h.request('POST', '/v1/events', {
      body: { events: [event, { ...event, id: 'evt_basic', event: 'api_call_basic', quantity: 3 }] },
    });
    expect(again.body).toMatchObject({ accepted: 1, duplicates: 1 });
    await expectBalance(h, 'org_ingest', '47');
    expect(await journal(h, 'org_ingest')).toEqual([
      ['grant', '100'],
      ['debit', '-50'],
      ['debit', '-3'],
    ]);
  });
});
