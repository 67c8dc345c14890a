import { demoCatalog } from '@tollgate/core';
import { eq } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { operationKeyOf, storedOperationKeys } from '../../src/credits/idempotency.js';
import { allocateSubscriptionCredits, runCreditJobs } from '../../src/credits/index.js';
import { creditOperations, notificationOutbox } from '../../src/db/schema/index.js';
import { describeEachDatabase, type Harness } from '../support/harness.js';
import { consume, createOrganization, expectBalance, grant, journal, transfer } from './credit-api.js';

const catalog = {
  ...demoCatalog,
  credits: { transfer_daily_limit: 50, low_balance_threshold: 100 },
};

async function lowBalanceNotifications(h: Harness, organizationId: string) {
  const rows = await h.tollgate.database.db
    .select()
    .from(notificationOutbox)
    .where(eq(notificationOutbox.organizationId, organizationId));
  return rows.map((row) => row.payload.balance);
}

describeEachDatabase(
  'credit transfers, expiry, allocation and low balance',
  (harness) => {
    it('moves rewards between users; the receiver keeps the expiry of what was given', async () => {
      const h = harness();
      await createOrganization(h, 'org_team');
      for (const id of ['alice', 'bob']) {
        const added = await h.request('POST', '/v1/organizations/org_team/users', { body: { id } });
        expect(added.status).toBe(201);
      }
      const expiresAt = '2026-12-24T00:00:00.000Z';
      await grant(h, 'org_team', {
        user_id: 'alice',
        amount: 20,
        source: 'promotional',
        expires_at: expiresAt,
      });
      const coffee = await transfer(h, {
        from_user_id: 'alice',
        to_user_id: 'bob',
        amount: 5,
        note: 'coffee',
      });
      expect(coffee.body).toMatchObject({
        allowed: true,
        from: { organization_id: 'org_team', user_id: 'alice' },
        to: { organization_id: 'org_team', user_id: 'bob' },
        balance: '15',
        received: [{ amount: '5', expires_at: expiresAt }],
      });
      const bob = await h.request('GET', '/v1/organizations/org_team/credits?user_id=bob');
      expect(bob.body).toMatchObject({ balance: '5', by_source: { transfer: '5' } });
      expect(bob.body.lots[0].expires_at).toBe(expiresAt);
      const bobJournal = await h.request(
        'GET',
        '/v1/organizations/org_team/credits/transactions?user_id=bob',
      );
      expect(bobJournal.body.data[0]).toMatchObject({
        kind: 'transfer_in',
        amount: '5',
        user_id: 'bob',
        counterparty: 'user:org_team/alice',
        note: 'coffee',
      });
      // The organization's own wallet is untouched; the invariant covers every wallet of the organization.
      await expectBalance(h, 'org_team', '0');
      // Bob may pass on what he received (it is not a subscription allowance).
      const back = await transfer(h, { from_user_id: 'bob', to_organization_id: 'org_team', amount: 5 });
      expect(back.body).toMatchObject({ allowed: true, received: [{ amount: '5', expires_at: expiresAt }] });
      await expectBalance(h, 'org_team', '5');
    });

    it('refuses transfers to oneself, to unknown parties, and bad amounts, writing nothing', async () => {
      const h = harness();
      await createOrganization(h, 'org_giver');
      await grant(h, 'org_giver', { amount: 30, source: 'purchased' });
      const cases: [Record<string, unknown>, number, string][] = [
        [
          { from_organization_id: 'org_giver', to_organization_id: 'org_giver', amount: 1 },
          400,
          'transfer_to_self',
        ],
        [
          { from_organization_id: 'org_giver', to_organization_id: 'org_ghost', amount: 1 },
          404,
          'unknown_receiver',
        ],
        [
          { from_organization_id: 'org_ghost', to_organization_id: 'org_giver', amount: 1 },
          404,
          'unknown_sender',
        ],
        [{ from_user_id: 'nobody', to_organization_id: 'org_giver', amount: 1 }, 404, 'unknown_sender'],
        [{ from_organization_id: 'org_giver', to_user_id: 'nobody', amount: 1 }, 404, 'unknown_receiver'],
        [
          { from_organization_id: 'org_giver', to_organization_id: 'org_x', amount: 0 },
          400,
          'invalid_amount',
        ],
        [
          { from_organization_id: 'org_giver', to_organization_id: 'org_x', amount: -3 },
          400,
          'invalid_amount',
        ],
        [
          { from_organization_id: 'org_giver', to_organization_id: 'org_x', amount: 1.5 },
          400,
          'fractional_amount',
        ],
        [{ to_organization_id: 'org_giver', amount: 1 }, 400, 'invalid_request'],
      ];
      for (const [body, status, code] of cases) {
        const response = await transfer(h, body);
        expect([response.status, response.body.error?.code], JSON.stringify(body)).toEqual([status, code]);
      }
      await expectBalance(h, 'org_giver', '30');
      expect(await journal(h, 'org_giver')).toEqual([['grant', '30']]);
    });

    it('enforces the per-sender daily limit over the UTC day', async () => {
      const h = harness();
      h.clock.set('2026-11-16T09:00:00Z');
      await createOrganization(h, 'org_generous');
      await createOrganization(h, 'org_lucky');
      await grant(h, 'org_generous', { amount: 500, source: 'purchased' });
      const send = (amount: number) =>
        transfer(h, { from_organization_id: 'org_generous', to_organization_id: 'org_lucky', amount });
      expect((await send(30)).body.allowed).toBe(true);
      expect((await send(21)).body).toEqual({
        allowed: false,
        code: 'daily_transfer_limit_exceeded',
        amount: '21',
        remaining_today: '20',
      });
      expect((await send(20)).body.allowed).toBe(true);
      h.clock.set('2026-11-17T00:00:00Z');
      expect((await send(50)).body.allowed).toBe(true);
      await expectBalance(h, 'org_generous', '400');
      await expectBalance(h, 'org_lucky', '100');
      h.clock.set('2026-11-15T12:00:00.000Z');
    });

    it('queues one low-balance notification per fall below the threshold, re-armed by a top-up', async () => {
      const h = harness();
      await createOrganization(h, 'org_thrifty');
      await grant(h, 'org_thrifty', { amount: 120, source: 'purchased' });
      const spend = (quantity: number) =>
        consume(h, { organization_id: 'org_thrifty', event_name: 'api_call_basic', quantity });
      await spend(15); // 105: still above
      await spend(10); // 95: falls below → notify
      await spend(10); // 85: still below, quiet
      expect(await lowBalanceNotifications(h, 'org_thrifty')).toEqual(['95']);
      await grant(h, 'org_thrifty', { amount: 10, source: 'promotional' }); // 95: not topped up above
      await spend(1);
      expect(await lowBalanceNotifications(h, 'org_thrifty')).toEqual(['95']);
      await grant(h, 'org_thrifty', { amount: 100, source: 'purchased' }); // 194: re-armed
      await spend(100); // 94 → notify again
      expect(await lowBalanceNotifications(h, 'org_thrifty')).toEqual(['95', '94']);
      await expectBalance(h, 'org_thrifty', '94');
    });

    it('takes a per-organization threshold; changing it queues nothing', async () => {
      const h = harness();
      await createOrganization(h, 'org_custom');
      await grant(h, 'org_custom', { amount: 60, source: 'purchased' });
      const set = await h.request('PATCH', '/v1/organizations/org_custom/credits/settings', {
        body: { low_balance_threshold: 50 },
      });
      expect(set.body).toEqual({ low_balance_threshold: '50', low_balance_threshold_is_default: false });
      await consume(h, { organization_id: 'org_custom', event_name: 'api_call_premium', quantity: 2 }); // 50
      expect(await lowBalanceNotifications(h, 'org_custom')).toEqual([]);
      await consume(h, { organization_id: 'org_custom', event_name: 'api_call_basic' }); // 49
      expect(await lowBalanceNotifications(h, 'org_custom')).toEqual(['49']);
      const back = await h.request('PATCH', '/v1/organizations/org_custom/credits/settings', {
        body: { low_balance_threshold: null },
      });
      expect(back.body).toEqual({ low_balance_threshold: '100', low_balance_threshold_is_default: true });
      const bad = await h.request('PATCH', '/v1/organizations/org_custom/credits/settings', {
        body: { low_balance_threshold: -1 },
      });
      expect(bad.status).toBe(400);
      expect(await lowBalanceNotifications(h, 'org_custom')).toEqual(['49']);
      await expectBalance(h, 'org_custom', '49');
    });

    it('allocates subscription credits once per period and expires them at its end', async () => {
      const h = harness();
      h.clock.set('2026-11-15T12:00:00.000Z');
      const created = await h.request('POST', '/v1/organizations', {
        body: { id: 'org_subscriber', name: 'Subscriber', plan: 'standard' },
      });
      expect(created.status).toBe(201);
      const periodEnd = created.body.subscription.current_period_end as string;
      const { db } = h.tollgate.database;
      const { catalog: loaded } = h.tollgate.context;
      expect((await runCreditJobs(db, loaded, h.clock.now)).allocations).toBe(1);
      expect((await runCreditJobs(db, loaded, new Date(h.clock.now.getTime() + 60_000))).allocations).toBe(0);
      // A later round counts the period as already granted and grants nothing.
      expect(
        await allocateSubscriptionCredits(db, loaded, new Date(h.clock.now.getTime() + 120_000)),
      ).toEqual({
        granted: 0,
        already_granted: 1,
      });
      const view = await expectBalance(h, 'org_subscriber', '10000');
      expect(view.lots).toEqual([
        expect.objectContaining({
          source: 'subscription',
          amount: '10000',
          granted_at: created.body.subscription.current_period_start,
          expires_at: periodEnd,
        }),
      ]);
      await consume(h, { organization_id: 'org_subscriber', event_name: 'ai_inference', quantity: 4 });
      await expectBalance(h, 'org_subscriber', '9900');
      const result = await runCreditJobs(db, loaded, new Date(periodEnd));
      expect(result.expired_wallets).toBeGreaterThanOrEqual(1);
      await expectBalance(h, 'org_subscriber', '0');
      expect((await journal(h, 'org_subscriber')).slice(-1)).toEqual([['expiry', '-9900']]);
      // Running again changes nothing, and a subscription whose period has not moved gets nothing new.
      await runCreditJobs(db, loaded, new Date(periodEnd));
      expect((await allocateSubscriptionCredits(db, loaded, new Date(periodEnd))).granted).toBe(0);
      await expectBalance(h, 'org_subscriber', '0');
      h.clock.set('2026-11-15T12:00:00.000Z');
    });

    it('finds stored operation keys of one kind in one lookup', async () => {
      const h = harness();
      h.clock.set('2026-11-15T12:00:00.000Z');
      for (const id of ['org_lookup_a', 'org_lookup_b']) {
        const created = await h.request('POST', '/v1/organizations', {
          body: { id, name: id, plan: 'standard' },
        });
        expect(created.status).toBe(201);
      }
      const { db } = h.tollgate.database;
      await allocateSubscriptionCredits(db, h.tollgate.context.catalog, h.clock.now);
      const [stored] = await db
        .select({ idempotencyKey: creditOperations.idempotencyKey })
        .from(creditOperations)
        .where(eq(creditOperations.organizationId, 'org_lookup_a'));
      const key = stored?.idempotencyKey as string;
      expect(key).toMatch(/^subscription:/);
      const found = await storedOperationKeys(db, 'allocation', [
        { organizationId: 'org_lookup_a', idempotencyKey: key },
        // The same key under another organization, and a key never stored, are not found.
        { organizationId: 'org_lookup_b', idempotencyKey: key },
        { organizationId: 'org_lookup_a', idempotencyKey: 'subscription:never' },
      ]);
      expect([...found]).toEqual([operationKeyOf('org_lookup_a', key)]);
      // Another kind of operation with that key is not one of them.
      const asGrant = await storedOperationKeys(db, 'grant', [
        { organizationId: 'org_lookup_a', idempotencyKey: key },
      ]);
      expect(asGrant.size).toBe(0);
      expect((await storedOperationKeys(db, 'allocation', [])).size).toBe(0);
    });

    it('allocates page by page, each subscription once', async () => {
      const h = harness();
      h.clock.set('2026-11-15T12:00:00.000Z');
      const ids = ['org_page_a', 'org_page_b', 'org_page_c', 'org_page_d', 'org_page_e'];
      for (const id of ids) {
        const created = await h.request('POST', '/v1/organizations', {
          body: { id, name: id, plan: 'standard' },
        });
        expect(created.status).toBe(201);
      }
      const { db } = h.tollgate.database;
      const { catalog: loaded } = h.tollgate.context;
      const first = await allocateSubscriptionCredits(db, loaded, h.clock.now, { pageSize: 2 });
      // Other tests of this file may have left subscriptions of their own: count ours by their balances.
      expect(first.granted).toBeGreaterThanOrEqual(ids.length);
      for (const id of ids) await expectBalance(h, id, '10000');
      const again = await allocateSubscriptionCredits(db, loaded, h.clock.now, { pageSize: 2 });
      expect(again).toEqual({ granted: 0, already_granted: first.granted + first.already_granted });
      for (const id of ids) await expectBalance(h, id, '10000');
    });
  },
  { catalog },
);
