import { Decimal, demoCatalog } from '@tollgate/core';
import { eq } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { debitCreditEvents, debitCreditsForEvent } from '../../src/credits/index.js';
import { creditJournal, creditOperations } from '../../src/db/schema/index.js';
import { withTransaction } from '../../src/db/transaction.js';
import { describeEachDatabase } from '../support/harness.js';
import { consume, createOrganization, expectBalance, grant, journal } from './credit-api.js';

describeEachDatabase(
  'credit consumes and grants',
  (harness) => {
    it('prices consumes from the catalog and refuses insufficient credits without writing', async () => {
      const h = harness();
      await createOrganization(h, 'org_spend');
      await grant(h, 'org_spend', { amount: 60, source: 'purchased' });
      const inference = await consume(h, {
        organization_id: 'org_spend',
        event_name: 'ai_inference',
        quantity: 2,
      });
      expect(inference.body).toMatchObject({ allowed: true, cost: '50', balance: '10' });
      const premium = await consume(h, {
        organization_id: 'org_spend',
        event_name: 'api_call_premium',
        quantity: 3,
      });
      expect(premium.body).toEqual({
        allowed: false,
        code: 'insufficient_credits',
        cost: '15',
        balance: '10',
      });
      expect(await journal(h, 'org_spend')).toEqual([
        ['grant', '60'],
        ['debit', '-50'],
      ]);
      const storage = await consume(h, {
        organization_id: 'org_spend',
        event_name: 'storage_gb_month',
        quantity: '0.5',
      });
      expect(storage.body).toMatchObject({ allowed: true, cost: '5', balance: '5' });
      await expectBalance(h, 'org_spend', '5');
    });

    it('returns the first answer for a repeated idempotency_key and refuses the key for another request', async () => {
      const h = harness();
      await createOrganization(h, 'org_repeat');
      await grant(h, 'org_repeat', { amount: 10, source: 'purchased' });
      const body = { organization_id: 'org_repeat', event_name: 'api_call_premium', idempotency_key: 'once' };
      const first = await h.request('POST', '/v1/credits/consume', { body });
      const second = await h.request('POST', '/v1/credits/consume', { body });
      expect(second.body).toEqual(first.body);
      expect(first.body).toMatchObject({ allowed: true, balance: '5' });
      await expectBalance(h, 'org_repeat', '5');
      const reused = await h.request('POST', '/v1/credits/consume', { body: { ...body, quantity: 2 } });
      expect(reused.status).toBe(409);
      expect(reused.body.error.code).toBe('idempotency_key_reused');
      // A refusal keeps nothing: after a top-up the same key is evaluated afresh.
      const poor = { organization_id: 'org_repeat', event_name: 'ai_inference', idempotency_key: 'later' };
      expect((await h.request('POST', '/v1/credits/consume', { body: poor })).body.allowed).toBe(false);
      await grant(h, 'org_repeat', { amount: 20, source: 'promotional' });
      expect((await h.request('POST', '/v1/credits/consume', { body: poor })).body).toMatchObject({
        allowed: true,
        balance: '0',
      });
      await expectBalance(h, 'org_repeat', '0');
    });

    it('answers bad input with a 4xx and a code, writing nothing', async () => {
      const h = harness();
      await createOrganization(h, 'org_bad');
      const cases: [string, string, Record<string, unknown>, number, string][] = [
        [
          'POST',
          '/v1/organizations/org_bad/credits/grants',
          { amount: 0, source: 'purchased' },
          400,
          'invalid_amount',
        ],
        [
          'POST',
          '/v1/organizations/org_bad/credits/grants',
          { amount: -5, source: 'purchased' },
          400,
          'invalid_amount',
        ],
        [
          'POST',
          '/v1/organizations/org_bad/credits/grants',
          { amount: '2.5', source: 'purchased' },
          400,
          'fractional_amount',
        ],
        [
          'POST',
          '/v1/organizations/org_bad/credits/grants',
          { amount: 5, source: 'transfer' },
          400,
          'invalid_request',
        ],
        [
          'POST',
          '/v1/organizations/org_bad/credits/grants',
          { amount: 5, source: 'promotional', expires_at: '2026-01-01T00:00:00Z' },
          400,
          'invalid_expiry',
        ],
        [
          'POST',
          '/v1/organizations/org_nobody/credits/grants',
          { amount: 5, source: 'purchased' },
          404,
          'not_found',
        ],
        [
          'POST',
          '/v1/credits/consume',
          { organization_id: 'org_bad', event_name: 'teleport' },
          400,
          'unknown_credit_event',
        ],
        [
          'POST',
          '/v1/credits/consume',
          { organization_id: 'org_bad', event_name: 'ai_inference', quantity: 0 },
          400,
          'invalid_quantity',
        ],
        [
          'POST',
          '/v1/credits/consume',
          { organization_id: 'org_bad', event_name: 'ai_inference', quantity: -1 },
          400,
          'invalid_quantity',
        ],
        [
          'POST',
          '/v1/credits/consume',
          { organization_id: 'org_bad', event_name: 'ai_inference', quantity: 'lots' },
          400,
          'invalid_quantity',
        ],
        [
          'POST',
          '/v1/credits/consume',
          { organization_id: 'org_bad', event_name: 'storage_gb_month', quantity: '0.01' },
          400,
          'fractional_amount',
        ],
        [
          'POST',
          '/v1/credits/consume',
          { organization_id: 'org_nobody', event_name: 'ai_inference' },
          404,
          'not_found',
        ],
        [
          'POST',
          '/v1/credits/consume',
          { organization_id: 'org_bad', event_name: 'ai_inference', extra: 1 },
          400,
          'invalid_request',
        ],
      ];
      for (const [method, url, body, status, code] of cases) {
        const response = await h.request(method, url, {
          body: { idempotency_key: `bad-${code}-${status}`, ...body },
        });
        expect([response.status, response.body.error?.code], `${url} ${JSON.stringify(body)}`).toEqual([
          status,
          code,
        ]);
      }
      const missingKey = await h.request('POST', '/v1/credits/consume', {
        body: { organization_id: 'org_bad', event_name: 'ai_inference' },
      });
      expect(missingKey.status).toBe(400);
      expect(missingKey.body.error.message).toContain('idempotency_key');
      await expectBalance(h, 'org_bad', '0');
      expect(await journal(h, 'org_bad')).toEqual([]);
    });

    it('lets only a secret key grant; an organization session may read its own credits', async () => {
      const h = harness();
      await createOrganization(h, 'org_session');
      await grant(h, 'org_session', { amount: 5, source: 'purchased' });
      const session = await h.request('POST', '/v1/organizations/org_session/sessions', { body: {} });
      expect(session.status).toBe(201);
      const token = session.body.token as string;
      const own = await h.request('GET', '/v1/organizations/org_session/credits', { token });
      expect(own.body.balance).toBe('5');
      const granted = await h.request('POST', '/v1/organizations/org_session/credits/grants', {
        token,
        body: { amount: 1000, source: 'purchased', idempotency_key: 'self-service' },
      });
      expect(granted.status).toBe(403);
      await createOrganization(h, 'org_other');
      expect((await h.request('GET', '/v1/organizations/org_other/credits', { token })).status).toBe(404);
      await expectBalance(h, 'org_session', '5');
    });

    it('shows lots, the breakdown by source and what expires within a week', async () => {
      const h = harness();
      await createOrganization(h, 'org_view');
      await grant(h, 'org_view', { amount: 30, source: 'subscription', expires_at: '2026-11-20T00:00:00Z' });
      await grant(h, 'org_view', { amount: 20, source: 'promotional', expires_at: '2027-01-01T00:00:00Z' });
      await grant(h, 'org_view', { amount: 10, source: 'purchased', priority: 3 });
      const view = await expectBalance(h, 'org_view', '60');
      expect(view.by_source).toEqual({
        purchased: '10',
        subscription: '30',
        promotional: '20',
        transfer: '0',
      });
      expect(view.lots).toHaveLength(3);
      // In spending order: the prioritised lot, then by source (promotional before subscription).
      expect(view.lots.map((lot: { source: string }) => lot.source)).toEqual([
        'purchased',
        'promotional',
        'subscription',
      ]);
      expect(view.lots[0]).toMatchObject({ amount: '10', remaining: '10', priority: 3, expires_at: null });
      expect(view.expiring_soon).toEqual([
        { lot: view.lots[2].id, amount: '30', expires_at: '2026-11-20T00:00:00.000Z' },
      ]);
      // Past its expiry a lot no longer counts, even before the job journals its expiry.
      h.clock.set('2026-11-20T00:00:00Z');
      const later = await h.request('GET', '/v1/organizations/org_view/credits');
      expect(later.body.balance).toBe('30');
      // The next write to the wallet journals the expiry itself.
      await consume(h, { organization_id: 'org_view', event_name: 'api_call_basic' });
      await expectBalance(h, 'org_view', '29');
      // (the prioritised purchased lot paid for it)
      expect((await journal(h, 'org_view')).slice(3)).toEqual([
        ['expiry', '-30'],
        ['debit', '-1'],
      ]);
      h.clock.set('2026-11-15T12:00:00.000Z');
    });

    it('pages through the journal newest first', async () => {
      const h = harness();
      await createOrganization(h, 'org_pages');
      for (let index = 1; index <= 5; index++)
        await grant(h, 'org_pages', { amount: index, source: 'promotional' });
      const first = await h.request('GET', '/v1/organizations/org_pages/credits/transactions?limit=2');
      expect(first.body.data.map((entry: { amount: string }) => entry.amount)).toEqual(['5', '4']);
      expect(first.body.has_more).toBe(true);
      const second = await h.request(
        'GET',
        `/v1/organizations/org_pages/credits/transactions?limit=2&starting_after=${first.body.next_cursor}`,
      );
      expect(second.body.data.map((entry: { amount: string }) => entry.amount)).toEqual(['3', '2']);
      const third = await h.request(
        'GET',
        `/v1/organizations/org_pages/credits/transactions?limit=2&starting_after=${second.body.next_cursor}`,
      );
      expect(third.body).toMatchObject({ has_more: false, next_cursor: null });
      expect(third.body.data).toHaveLength(1);
      const bad = await h.request(
        'GET',
        '/v1/organizations/org_pages/credits/transactions?starting_after=abc',
      );
      expect(bad.body.error.code).toBe('invalid_cursor');
    });

    it('debits credit events handed over by metering, once per event id, inside the caller’s transaction', async () => {
      const h = harness();
      await createOrganization(h, 'org_events');
      await grant(h, 'org_events', { amount: 100, source: 'purchased' });
      const { db } = h.tollgate.database;
      const event = {
        organization_id: 'org_events',
        event_name: 'ai_inference',
        quantity: '2',
        project_id: 'proj_1',
        user_id: 'user_1',
        idempotency_key: 'evt_1',
        now: h.clock.now,
      };
      const first = await withTransaction(db, (tx) =>
        debitCreditsForEvent(tx, event, h.tollgate.context.catalog),
      );
      const again = await withTransaction(db, (tx) =>
        debitCreditsForEvent(tx, event, h.tollgate.context.catalog),
      );
      expect(first).toMatchObject({ allowed: true, cost: '50', balance: '50' });
      expect(again).toEqual(first);
      const entries = await db
        .select()
        .from(creditJournal)
        .where(eq(creditJournal.organizationId, 'org_events'));
      expect(entries.find((entry) => entry.kind === 'debit')).toMatchObject({
        eventName: 'ai_inference',
        projectId: 'proj_1',
        userId: 'user_1',
        actor: 'system:events',
      });
      // Rolled back with the caller: the debit and its idempotency record go too.
      await expect(
        withTransaction(db, async (tx) => {
          await debitCreditsForEvent(tx, { ...event, idempotency_key: 'evt_2' }, h.tollgate.context.catalog);
          throw new Error('metering failed');
        }),
      ).rejects.toThrow('metering failed');
      const operations = await db
        .select()
        .from(creditOperations)
        .where(eq(creditOperations.organizationId, 'org_events'));
      expect(operations.map((operation) => operation.idempotencyKey).sort()).toEqual([
        'event:evt_1',
        expect.any(String),
      ]);
      await expectBalance(h, 'org_events', '50');
    });

    it('adapts to metering’s batch hand-over: debits in organization order, refusals debit nothing', async () => {
      const h = harness();
      await createOrganization(h, 'org_batch_a');
      await createOrganization(h, 'org_batch_b');
      await grant(h, 'org_batch_a', { amount: 30, source: 'purchased' });
      const options = { catalog: h.tollgate.context.catalog, now: () => h.clock.now };
      const event = (organizationId: string, eventId: string) => ({
        organizationId,
        eventId,
        event: 'ai_inference',
        quantity: new Decimal(1),
        credits: new Decimal(25),
        projectId: null,
        userId: null,
        timestamp: h.clock.now,
      });
      const results = await withTransaction(h.tollgate.database.db, (tx) =>
        debitCreditEvents(
          tx,
          [event('org_batch_b', 'e1'), event('org_batch_a', 'e2'), event('org_batch_a', 'e3')],
          options,
        ),
      );
      expect(results.map((result) => result.allowed)).toEqual([true, false, false]);
      await expectBalance(h, 'org_batch_a', '5');
      await expectBalance(h, 'org_batch_b', '0');
    });
  },
  { catalog: demoCatalog },
);
