import { expect, it } from 'vitest';
import { runCreditJobs } from '../../src/credits/index.js';
import { describeEachDatabase } from '../support/harness.js';
import { consume, createOrganization, expectBalance, grant, journal, transfer } from './credit-api.js';

/**
 * The scenario, verbatim: purchased 100 + subscription 50 → consume 120 (100 purchased, 20
 * subscription) → transfer 10 refused (only subscription credits remain) → purchase 40 → transfer 10
 * allowed → period end: the 30 subscription credits expire. Journal, balance and invariant at every step.
 */
describeEachDatabase('credit ledger scenario', (harness) => {
  const periodEnd = '2026-12-01T00:00:00.000Z';

  it('walks one organization through grants, a consume, transfers and the period end', async () => {
    const h = harness();
    await createOrganization(h, 'org_scenario');
    await createOrganization(h, 'org_friend');
    await expectBalance(h, 'org_scenario', '0');

    // 1. A purchased grant of 100 and a subscription grant of 50 (expiring at the period end).
    const purchased = await grant(h, 'org_scenario', { amount: 100, source: 'purchased' });
    expect(purchased.status).toBe(201);
    const subscription = await grant(h, 'org_scenario', {
      amount: 50,
      source: 'subscription',
      expires_at: periodEnd,
    });
    expect(subscription.status).toBe(201);
    const afterGrants = await expectBalance(h, 'org_scenario', '150');
    expect(afterGrants.by_source).toMatchObject({ purchased: '100', subscription: '50' });
    expect(await journal(h, 'org_scenario')).toEqual([
      ['grant', '100'],
      ['grant', '50'],
    ]);

    // 2. Consume 120: all 100 purchased first, then 20 subscription.
    const consumed = await consume(h, {
      organization_id: 'org_scenario',
      event_name: 'api_call_basic',
      quantity: 120,
    });
    expect(consumed.status).toBe(200);
    expect(consumed.body).toEqual({
      allowed: true,
      cost: '120',
      balance: '30',
      debited: [
        { lot: purchased.body.lot, amount: '100' },
        { lot: subscription.body.lot, amount: '20' },
      ],
    });
    const afterConsume = await expectBalance(h, 'org_scenario', '30');
    expect(afterConsume.by_source).toMatchObject({ purchased: '0', subscription: '30' });
    expect((await journal(h, 'org_scenario')).slice(2)).toEqual([
      ['debit', '-100'],
      ['debit', '-20'],
    ]);

    // 3. Transfer 10 to another organization: refused, only subscription credits remain.
    const refused = await transfer(h, {
      from_organization_id: 'org_scenario',
      to_organization_id: 'org_friend',
      amount: 10,
    });
    expect(refused.status).toBe(200);
    expect(refused.body).toEqual({
      allowed: false,
      code: 'insufficient_transferable_credits',
      amount: '10',
      transferable: '0',
    });
    await expectBalance(h, 'org_scenario', '30');
    await expectBalance(h, 'org_friend', '0');
    expect(await journal(h, 'org_scenario')).toHaveLength(4);

    // 4. Purchase 40.
    expect((await grant(h, 'org_scenario', { amount: 40, source: 'purchased' })).status).toBe(201);
    await expectBalance(h, 'org_scenario', '70');
    expect((await journal(h, 'org_scenario')).slice(4)).toEqual([['grant', '40']]);

    // 5. Transfer 10: allowed, from the purchased credits; the receiver's lot never expires like them.
    const given = await transfer(h, {
      from_organization_id: 'org_scenario',
      to_organization_id: 'org_friend',
      amount: 10,
      note: 'thanks for the coffee',
    });
    expect(given.status).toBe(200);
    expect(given.body).toMatchObject({ allowed: true, amount: '10', balance: '60' });
    expect(given.body.received).toEqual([{ lot: expect.any(String), amount: '10', expires_at: null }]);
    const afterTransfer = await expectBalance(h, 'org_scenario', '60');
    expect(afterTransfer.by_source).toMatchObject({ purchased: '30', subscription: '30' });
    expect((await journal(h, 'org_scenario')).slice(5)).toEqual([['transfer_out', '-10']]);
    const friend = await expectBalance(h, 'org_friend', '10');
    expect(friend.by_source).toMatchObject({ transfer: '10' });
    expect(await journal(h, 'org_friend')).toEqual([['transfer_in', '10']]);

    // 6. Period end: the 30 subscription credits expire, an expiry entry is journaled, the balance drops.
    h.clock.set(periodEnd);
    await runCreditJobs(h.tollgate.database.db, h.tollgate.context.catalog, h.clock.now);
    const afterExpiry = await expectBalance(h, 'org_scenario', '30');
    expect(afterExpiry.by_source).toMatchObject({ purchased: '30', subscription: '0' });
    expect((await journal(h, 'org_scenario')).slice(6)).toEqual([['expiry', '-30']]);
    await expectBalance(h, 'org_friend', '10');

    // Both sides of the transfer are in the audit log.
    for (const [organizationId, action] of [
      ['org_scenario', 'credits.transfer_out'],
      ['org_friend', 'credits.transfer_in'],
    ]) {
      const audit = await h.request('GET', `/v1/organizations/${organizationId}/audit-log`);
      expect(audit.status).toBe(200);
      expect(audit.body.data.map((entry: { action: string }) => entry.action)).toContain(action);
    }
  });
});
