import { expect, it } from 'vitest';
import { describeEachDatabase } from '../support/harness.js';
import { consume, createOrganization, expectBalance, grant, journal } from './credit-api.js';

describeEachDatabase('credit refunds', (harness) => {
  it('gives a consume back into the lots it came from, once', async () => {
    const h = harness();
    await createOrganization(h, 'org_refund');
    const purchased = await grant(h, 'org_refund', { amount: 10, source: 'purchased' });
    const subscription = await grant(h, 'org_refund', {
      amount: 50,
      source: 'subscription',
      expires_at: '2026-12-01T00:00:00Z',
    });
    const spent = await consume(h, {
      organization_id: 'org_refund',
      event_name: 'ai_inference',
      idempotency_key: 'inference-42',
    });
    expect(spent.body).toMatchObject({ allowed: true, balance: '35' });
    await expectBalance(h, 'org_refund', '35');
    const body = {
      organization_id: 'org_refund',
      consume_idempotency_key: 'inference-42',
      note: 'model failed',
    };
    const refunded = await h.request('POST', '/v1/credits/refund', { body });
    expect(refunded.status).toBe(200);
    expect(refunded.body).toEqual({
      refunded: '25',
      balance: '60',
      credited: [
        { lot: purchased.body.lot, amount: '10' },
        { lot: subscription.body.lot, amount: '15' },
      ],
    });
    const view = await expectBalance(h, 'org_refund', '60');
    expect(view.by_source).toMatchObject({ purchased: '10', subscription: '50' });
    // Asked again: the same answer, nothing more given back.
    expect((await h.request('POST', '/v1/credits/refund', { body })).body).toEqual(refunded.body);
    await expectBalance(h, 'org_refund', '60');
    expect((await journal(h, 'org_refund')).slice(2)).toEqual([
      ['debit', '-10'],
      ['debit', '-15'],
      ['refund', '10'],
      ['refund', '15'],
    ]);
    const audit = await h.request('GET', '/v1/organizations/org_refund/audit-log');
    expect(audit.body.data.map((entry: { action: string }) => entry.action)).toContain('credits.refund');
  });

  it('answers 404 for a consume that never happened, writing nothing', async () => {
    const h = harness();
    await createOrganization(h, 'org_no_refund');
    await grant(h, 'org_no_refund', { amount: 5, source: 'purchased' });
    const poor = await consume(h, {
      organization_id: 'org_no_refund',
      event_name: 'ai_inference',
      idempotency_key: 'too-expensive',
    });
    expect(poor.body.allowed).toBe(false);
    for (const key of ['too-expensive', 'never-sent']) {
      const refund = await h.request('POST', '/v1/credits/refund', {
        body: { organization_id: 'org_no_refund', consume_idempotency_key: key },
      });
      expect([refund.status, refund.body.error.code]).toEqual([404, 'consume_not_found']);
    }
    await expectBalance(h, 'org_no_refund', '5');
    expect(await journal(h, 'org_no_refund')).toEqual([['grant', '5']]);
  });
});
