import { expect, it } from 'vitest';
import { sqlRows } from './metering/helpers.js';
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

  it('report a credit event the wallet cannot pay as a shortfall and queue a notification', async () => {
    await harness().request('POST', '/v1/organizations', { body: { id: 'short_org', name: 'Short' } });
    const grant = await harness().request('POST', '/v1/organizations/short_org/credits/grants', {
      body: { amount: 30, source: 'purchased', idempotency_key: 'short-grant' },
    });
    expect(grant.status).toBe(201);
    const events = [
      { id: 'paid', organization_id: 'short_org', event: 'ai_inference' },
      { id: 'unpaid', organization_id: 'short_org', event: 'ai_inference' },
      { id: 'metered', organization_id: 'short_org', event: 'api_calls' },
    ];
    const response = await harness().request('POST', '/v1/events', { body: { events } });
    expect(response.body).toEqual({
      accepted: 3,
      duplicates: 0,
      rejected: [],
      credit_shortfalls: [{ index: 1, event: 'ai_inference', credits: '25', balance: '5' }],
    });
    const queued = await sqlRows<{ kind: string; payload: Record<string, unknown> }>(
      harness(),
      `select kind, payload from notification_outbox where organization_id = 'short_org' order by created_at`,
    );
    expect(queued.filter((row) => row.kind === 'credits.event_unpaid').map((row) => row.payload)).toEqual([
      {
        organization_id: 'short_org',
        event_id: 'unpaid',
        event: 'ai_inference',
        credits: '25',
        balance: '5',
      },
    ]);
    // The same events again are duplicates: nothing is debited or reported twice.
    const again = await harness().request('POST', '/v1/events', { body: { events } });
    expect(again.body).toEqual({ accepted: 0, duplicates: 3, rejected: [] });
  });
});
