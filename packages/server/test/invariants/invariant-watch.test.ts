import { expect, it } from 'vitest';
import { type InvariantCursor, watchInvariants } from '../../src/invariants/invariant-watch.js';
import { runScheduledJobs } from '../../src/jobs/scheduler.js';
import { deliverStripeOutbox, queueStripeCall, type StripeCallHandler } from '../../src/stripe/outbox.js';
import type { StripeGateway } from '../../src/stripe/stripe-gateway.js';
import { sqlRows } from '../metering/helpers.js';
import { describeEachDatabase, type Harness } from '../support/harness.js';

const runJobs = (h: Harness) =>
  runScheduledJobs(h.tollgate.database, h.tollgate.context.catalog, h.clock.now);

async function setUp(h: Harness, organizationId: string) {
  const created = await h.request('POST', '/v1/organizations', {
    body: { id: organizationId, name: organizationId, plan: 'standard' },
  });
  expect(created.status).toBe(201);
  const granted = await h.request('POST', `/v1/organizations/${organizationId}/credits/grants`, {
    body: { amount: 100, source: 'purchased', idempotency_key: `${organizationId}-grant` },
  });
  expect(granted.status).toBe(201);
  const consumed = await h.request('POST', '/v1/credits/consume', {
    body: {
      organization_id: organizationId,
      event_name: 'ai_inference',
      idempotency_key: `${organizationId}-spend`,
    },
  });
  expect(consumed.body.allowed).toBe(true);
  const ingested = await h.request('POST', '/v1/events', {
    body: {
      events: [
        { id: `${organizationId}-1`, organization_id: organizationId, event: 'api_calls', project_id: 'p1' },
        { id: `${organizationId}-2`, organization_id: organizationId, event: 'api_calls', quantity: 4 },
        { id: `${organizationId}-3`, organization_id: organizationId, event: 'llm_tokens', quantity: '2.5' },
      ],
    },
  });
  expect(ingested.body).toMatchObject({ accepted: 3 });
  const checked = await h.request('POST', '/v1/check', {
    body: { organization_id: organizationId, feature: 'api_calls', quantity: 3, consume: true },
  });
  expect(checked.body.allowed).toBe(true);
}

/** A Stripe call handler that only notes whose call it delivered. */
function recordingHandlers(delivered: string[]): Record<string, StripeCallHandler> {
  return {
    'test.push': async (row) => {
      delivered.push(row.organizationId ?? '');
    },
  };
}
const noGateway = null as unknown as StripeGateway;

describeEachDatabase('invariant watch', (harness) => {
  it('leaves sound organizations alone, across rounds', async () => {
    const h = harness();
    await setUp(h, 'inv_sound');
    expect(await runJobs(h)).toMatchObject({ ran: true, parked_organizations: [] });
    expect(await runJobs(h)).toMatchObject({ ran: true, parked_organizations: [] });
    expect((await h.request('GET', '/v1/admin/parked')).body).toEqual({ data: [] });
  });

  it('parks an organization whose counter or lot was changed behind the ledger, alerts once, holds its Stripe calls, and releases it when cleared', async () => {
    const h = harness();
    await setUp(h, 'inv_counter');
    await setUp(h, 'inv_lot');
    await setUp(h, 'inv_fine');
    expect(await runJobs(h)).toMatchObject({ parked_organizations: [] });
    for (const organizationId of ['inv_counter', 'inv_lot', 'inv_fine']) {
      await queueStripeCall(h.tollgate.context.db, {
        organizationId,
        kind: 'test.push',
        payload: {},
        now: h.clock.now,
      });
    }

    await sqlRows(
      h,
      `update usage_counters set used = used + 7
       where organization_id = 'inv_counter' and feature = 'api_calls' and project_id = ''`,
    );
    await sqlRows(
      h,
      `update credit_lots set remaining = remaining - 1 where organization_id = 'inv_lot' and source = 'purchased'`,
    );

    const round = await runJobs(h);
    expect(round.ran && [...round.parked_organizations].sort()).toEqual(['inv_counter', 'inv_lot']);
    const listed = await h.request('GET', '/v1/admin/parked');
    expect(listed.status).toBe(200);
    const byId = new Map(
      listed.body.data.map((entry: { organization_id: string }) => [entry.organization_id, entry]),
    );
    expect([...byId.keys()].sort()).toEqual(['inv_counter', 'inv_lot']);
    expect(byId.get('inv_counter')).toMatchObject({
      reasons: [
        {
          check: 'usage_counter_equals_events',
          feature: 'api_calls',
          project_id: '',
          used: '15',
          events: '8',
        },
      ],
    });
    expect(byId.get('inv_lot')).toMatchObject({
      reasons: [{ check: 'credit_lot_equals_journal', remaining: '74', journal: '75' }],
    });

    // Parked once: a later round neither samples them again nor alerts twice.
    expect(await runJobs(h)).toMatchObject({ parked_organizations: [] });
    const alerts = await sqlRows<{ organization_id: string; count: string }>(
      h,
      `select organization_id, count(*)::text as count from notification_outbox
       where kind = 'organization.parked' group by organization_id order by organization_id`,
    );
    expect(alerts).toEqual([
      { organization_id: 'inv_counter', count: '1' },
      { organization_id: 'inv_lot', count: '1' },
    ]);

    // No Stripe pushes for the parked ones; the others go out.
    const delivered: string[] = [];
    await deliverStripeOutbox(h.tollgate.context.db, noGateway, recordingHandlers(delivered), h.clock.now);
    expect(delivered).toEqual(['inv_fine']);

    // The operator fixes the counter and clears it: its queued call goes out, the other stays held.
    await sqlRows(
      h,
      `update usage_counters set used = used - 7
       where organization_id = 'inv_counter' and feature = 'api_calls' and project_id = ''`,
    );
    const released = await h.request('DELETE', '/v1/admin/parked/inv_counter');
    expect(released.status).toBe(200);
    expect(released.body).toMatchObject({ organization_id: 'inv_counter' });
    const again = await h.request('DELETE', '/v1/admin/parked/inv_counter');
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('not_found');
    await deliverStripeOutbox(h.tollgate.context.db, noGateway, recordingHandlers(delivered), h.clock.now);
    expect(delivered).toEqual(['inv_fine', 'inv_counter']);
    expect(await runJobs(h)).toMatchObject({ parked_organizations: [] });
    expect(
      (await h.request('GET', '/v1/admin/parked')).body.data.map(
        (entry: { organization_id: string }) => entry.organization_id,
      ),
    ).toEqual(['inv_lot']);
    const audit = await sqlRows<{ action: string }>(
      h,
      `select action from audit_log where organization_id = 'inv_counter' and action like 'organization.%parked' order by id`,
    );
    expect(audit.map((row) => row.action)).toEqual(['organization.parked', 'organization.unparked']);
  });

  it('goes round the organizations in id order, a budget at a time, each once per round', async () => {
    const h = harness();
    for (const id of ['rot_a', 'rot_b', 'rot_c']) {
      const created = await h.request('POST', '/v1/organizations', {
        body: { id, name: id, plan: 'standard' },
      });
      expect(created.status).toBe(201);
      const ingested = await h.request('POST', '/v1/events', {
        body: { events: [{ id: `${id}-1`, organization_id: id, event: 'api_calls', quantity: 2 }] },
      });
      expect(ingested.body).toMatchObject({ accepted: 1 });
    }
    await sqlRows(
      h,
      `update usage_counters set used = used + 1
       where organization_id = 'rot_b' and feature = 'api_calls' and project_id = ''`,
    );
    // A spent budget ends the round after its first batch: one organization a round, in id order.
    const cursor: InvariantCursor = { after: 'rot_' };
    const round = () =>
      watchInvariants(h.tollgate.context.db, h.clock.now, { cursor, budgetMs: 0, batchSize: 1 });
    expect(await round()).toEqual({ checked: 1, parked: [] });
    expect(cursor.after).toBe('rot_a');
    expect(await round()).toEqual({ checked: 1, parked: ['rot_b'] });
    expect(await round()).toEqual({ checked: 1, parked: [] });
    expect(cursor.after).toBe('rot_c');

    // With time to spare, a round goes on past the last id to the first and stops where it began:
    // every organization not parked, once.
    const [notParked] = await sqlRows<{ count: string }>(
      h,
      `select count(*)::text as count from organizations o
       where not exists (select 1 from parked_organizations p where p.organization_id = o.id)`,
    );
    const whole = await watchInvariants(h.tollgate.context.db, h.clock.now, {
      cursor,
      budgetMs: 60_000,
      batchSize: 2,
    });
    expect(whole).toEqual({ checked: Number(notParked?.count), parked: [] });
    expect(cursor.after).toBe('rot_c');
  });

  it('is for host-app secret keys only', async () => {
    const h = harness();
    await h.request('POST', '/v1/organizations', { body: { id: 'inv_tenant', name: 'Tenant' } });
    const session = await h.request('POST', '/v1/organizations/inv_tenant/sessions', {
      body: { user_id: 'u' },
    });
    const token: string = session.body.token;
    for (const [method, url] of [
      ['GET', '/v1/admin/parked'],
      ['DELETE', '/v1/admin/parked/inv_tenant'],
    ] as const) {
      const asTenant = await h.request(method, url, { token });
      expect(asTenant.status, `${method} ${url} with a session token`).toBe(403);
      expect(asTenant.body.error.code).toBe('forbidden');
      expect((await h.request(method, url, { token: null })).status).toBe(401);
    }
  });
});
