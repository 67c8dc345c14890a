import { expect, it } from 'vitest';
import { describeEachDatabase } from './support/harness.js';

describeEachDatabase('credit events sent through POST /v1/events', (harness) => {
  it('debit the ledger once per event id', async () => {
    await harness().request('POST', '/v1/organizations', {
      body: { id: 'credit_events_org', name: 'Credits' },
    });
    const grant = await harness().request('POST', '/v1/organizations/credit_events_org/credits/grants', {
      body: { amount: 100, source: 'purchased', idempotency_key: 'grant-1' },
    });
    expect(grant.status).toBe(201);
    const event = {
      id: 'inference-1',
      organization_id: 'credit_events_org',
      event: 'ai_inference',
      quantity: 2,
    };
    const first = await harness().request('POST', '/v1/events', { body: { events: [event] } });
    expect(first.body).toMatchObject({ accepted: 1, duplicates: 0, rejected: [] });
    const balance = async () =>
      (await harness().request('GET', '/v1/organizations/credit_events_org/credits')).body.balance;
    // ai_inference costs 25 credits: 2 × 25 = 50.
    expect(await balance()).toBe('50');
    const again = await harness().request('POST', '/v1/events', { body: { events: [event] } });
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 1 });
    expect(await balance()).toBe('50');
    const journal = await harness().request(
      'GET',
      '/v1/organizations/credit_events_org/credits/transactions',
    );
    expect(journal.body.data.filter((entry: { kind: string }) => entry.kind === 'debit')).toHaveLength(1);
  });
});
