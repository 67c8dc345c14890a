import { expect, it } from 'vitest';
import { checkResponse } from '../../src/routes/check.js';
import { describeEachDatabase } from '../support/harness.js';
import { createOrganization, ingest, sqlRows, usageOf } from './helpers.js';
import { meteringTestCatalog } from './test-catalog.js';

const check = (harness: Parameters<typeof createOrganization>[0], body: object) =>
  harness.request('POST', '/v1/check', { body });

describeEachDatabase(
  'POST /v1/check',
  (harness) => {
    it('hard cap: allows up to the limit and denies past it with an upgrade prompt', async () => {
      await createOrganization(harness(), 'org_hard');
      await ingest(harness(), [{ id: 'x1', organization_id: 'org_hard', event: 'exports', quantity: 4 }]);
      const fits = await check(harness(), { organization_id: 'org_hard', feature: 'exports' });
      expect(fits.status).toBe(200);
      expect(fits.body).toEqual({
        allowed: true,
        feature: 'exports',
        limit: 5,
        used: 4,
        remaining: 1,
        cap: 'hard',
      });
      const over = await check(harness(), { organization_id: 'org_hard', feature: 'exports', quantity: 2 });
      expect(over.body).toEqual({
        allowed: false,
        feature: 'exports',
        limit: 5,
        used: 4,
        remaining: 1,
        cap: 'hard',
        reason: 'limit_exceeded',
        upgrade_url: 'http://localhost:4400/billing/upgrade?plan=standard',
      });
    });

    it('soft cap without overage: allows the 10 % grace, then denies', async () => {
      await createOrganization(harness(), 'org_grace');
      await ingest(harness(), [
        { id: 'g1', organization_id: 'org_grace', event: 'agent_executions', quantity: 109 },
      ]);
      const inGrace = await check(harness(), { organization_id: 'org_grace', feature: 'agent_executions' });
      expect(inGrace.body).toMatchObject({ allowed: true, used: 109, limit: 100, remaining: 0, cap: 'soft' });
      const past = await check(harness(), {
        organization_id: 'org_grace',
        feature: 'agent_executions',
        quantity: 2,
      });
      expect(past.body).toMatchObject({ allowed: false, reason: 'limit_exceeded' });
    });

    it('soft cap with an overage price: allows past the limit (billed as overage)', async () => {
      await createOrganization(harness(), 'org_overage', 'standard');
      await ingest(harness(), [
        { id: 'o1', organization_id: 'org_overage', event: 'agent_executions', quantity: 6_000 },
      ]);
      const answer = await check(harness(), {
        organization_id: 'org_overage',
        feature: 'agent_executions',
        quantity: 10,
      });
      expect(answer.body).toMatchObject({ allowed: true, used: 6_000, limit: 5_000, remaining: 0 });
      const usage = await usageOf(harness(), 'org_overage', 'agent_executions');
      expect(usage).toMatchObject({ overage_quantity: 1_000, overage_amount: 10_000, percent: 120 });
    });

    it('boolean features, features not in the plan, seats and unlimited features', async () => {
      await createOrganization(harness(), 'org_kinds');
      expect((await check(harness(), { organization_id: 'org_kinds', feature: 'sso' })).body).toMatchObject({
        allowed: false,
        reason: 'feature_not_in_plan',
        upgrade_url: expect.stringContaining('plan=enterprise'),
      });
      for (const userId of ['u1', 'u2', 'u3']) {
        const added = await harness().request('POST', '/v1/organizations/org_kinds/users', {
          body: { id: userId },
        });
        expect(added.status, JSON.stringify(added.body)).toBe(201);
      }
      expect((await check(harness(), { organization_id: 'org_kinds', feature: 'seats' })).body).toMatchObject(
        {
          allowed: false,
          used: 3,
          limit: 3,
          reason: 'limit_exceeded',
        },
      );
      expect(
        (await check(harness(), { organization_id: 'org_kinds', feature: 'logins', quantity: 1e9 })).body,
      ).toMatchObject({
        allowed: true,
        limit: null,
        remaining: null,
      });
      await createOrganization(harness(), 'org_kinds_std', 'standard');
      expect(
        (await check(harness(), { organization_id: 'org_kinds_std', feature: 'priority_support' })).body,
      ).toEqual({
        allowed: true,
        feature: 'priority_support',
        limit: null,
        used: 0,
        remaining: null,
        cap: null,
      });
    });

    it('denies everything when the subscription is no longer active', async () => {
      await createOrganization(harness(), 'org_gone');
      await sqlRows(
        harness(),
        `update subscriptions set status = 'canceled' where organization_id = 'org_gone'`,
      );
      const answer = await check(harness(), {
        organization_id: 'org_gone',
        feature: 'api_calls',
        consume: true,
      });
      expect(answer.body).toMatchObject({ allowed: false, reason: 'subscription_inactive' });
      expect(answer.body.upgrade_url).toBeUndefined();
      expect((await usageOf(harness(), 'org_gone', 'api_calls')).used).toBe(0);
    });

    it('consumes atomically and answers a repeated idempotency key with the first answer', async () => {
      await createOrganization(harness(), 'org_consume');
      const body = {
        organization_id: 'org_consume',
        feature: 'exports',
        quantity: 3,
        consume: true,
        idempotency_key: 'job-1',
      };
      const first = await check(harness(), { ...body, project_id: 'p1' });
      expect(first.body).toMatchObject({ allowed: true, used: 3, remaining: 2 });
      const repeat = await check(harness(), { ...body, project_id: 'p1' });
      expect(repeat.body).toEqual(first.body);
      const second = await check(harness(), { ...body, idempotency_key: 'job-2' });
      expect(second.body).toMatchObject({ allowed: false, used: 3, reason: 'limit_exceeded' });
      const secondAgain = await check(harness(), { ...body, idempotency_key: 'job-2' });
      expect(secondAgain.body).toEqual(second.body);
      expect((await usageOf(harness(), 'org_consume', 'exports')).used).toBe(3);
      const reused = await check(harness(), { ...body, quantity: 1 });
      expect(reused.status).toBe(409);
      expect(reused.body.error.code).toBe('idempotency_key_reused');
      const report = await harness().request('GET', '/v1/organizations/org_consume/usage');
      expect(report.body.projects).toEqual([
        { project_id: 'p1', features: [{ feature: 'exports', used: 3 }] },
      ]);
      const history = await harness().request(
        'GET',
        '/v1/organizations/org_consume/usage/exports/history?granularity=day',
      );
      expect(history.body.points.at(-1)).toEqual({ start: '2026-11-15T00:00:00.000Z', value: 3 });
    });

    it('gives each user of a trial organization their own executions, then answers trial_exhausted', async () => {
      const created = await harness().request('POST', '/v1/organizations', {
        body: { id: 'org_public', name: 'Public', trial_organization: true },
      });
      expect(created.status).toBe(201);
      for (const user of ['ann', 'bob']) {
        const added = await harness().request('POST', '/v1/organizations/org_public/users', {
          body: { id: user },
        });
        expect(added.status).toBe(201);
      }
      const run = (userId: string) =>
        check(harness(), {
          organization_id: 'org_public',
          feature: 'agent_executions',
          user_id: userId,
          consume: true,
        });
      for (let execution = 1; execution <= 10; execution += 1) {
        expect((await run('ann')).body).toMatchObject({ allowed: true, used: execution, limit: 10 });
      }
      expect((await run('ann')).body).toMatchObject({
        allowed: false,
        reason: 'trial_exhausted',
        used: 10,
        remaining: 0,
        upgrade_url: expect.stringContaining('upgrade'),
      });
      expect((await run('bob')).body).toMatchObject({ allowed: true, used: 1 });
      const anonymous = await check(harness(), {
        organization_id: 'org_public',
        feature: 'agent_executions',
        consume: true,
      });
      expect(anonymous.status).toBe(400);
      expect(anonymous.body.error.code).toBe('user_id_required');
      // A user id the host app never added does not open a fresh allowance.
      const stranger = await run('made_up_user');
      expect(stranger.status).toBe(400);
      expect(stranger.body.error.code).toBe('user_not_member');
      // Other features of a trial organization are counted per organization, as usual.
      const other = await check(harness(), { organization_id: 'org_public', feature: 'api_calls' });
      expect(other.status).toBe(200);
    });

    it('builds upgrade_url from PUBLIC_URL and names a plan that has the denied feature', async () => {
      await createOrganization(harness(), 'org_upgrade');
      const context = harness().tollgate.context;
      const before = context.publicUrl;
      context.publicUrl = 'https://billing.example.test/tollgate/';
      try {
        const sso = await check(harness(), { organization_id: 'org_upgrade', feature: 'sso' });
        expect(sso.body).toMatchObject({ allowed: false, reason: 'feature_not_in_plan' });
        // Standard, the free plan's next step, has no SSO either: the link skips to enterprise.
        expect(sso.body.upgrade_url).toBe(
          'https://billing.example.test/tollgate/billing/upgrade?plan=enterprise',
        );
        const exports = await check(harness(), {
          organization_id: 'org_upgrade',
          feature: 'exports',
          quantity: 6,
        });
        expect(exports.body.upgrade_url).toBe(
          'https://billing.example.test/tollgate/billing/upgrade?plan=standard',
        );
      } finally {
        context.publicUrl = before;
      }
    });

    it('fires alerts from consumes too, once per threshold, with and without a transaction', async () => {
      await createOrganization(harness(), 'org_consume_alerts', 'standard');
      const consume = (quantity: number, extra: object = {}) =>
        check(harness(), {
          organization_id: 'org_consume_alerts',
          feature: 'exports',
          quantity,
          consume: true,
          ...extra,
        });
      await consume(79);
      expect(
        (await harness().request('GET', '/v1/organizations/org_consume_alerts/alerts')).body.data,
      ).toEqual([]);
      await consume(1);
      await consume(1, { idempotency_key: 'alerts-1', project_id: 'p1' });
      await consume(19);
      expect((await consume(1)).body).toMatchObject({ allowed: false, used: 100 });
      const alerts = await harness().request('GET', '/v1/organizations/org_consume_alerts/alerts');
      expect(
        alerts.body.data.map((alert: { threshold: number; used: number }) => [alert.threshold, alert.used]),
      ).toEqual([
        [100, 100],
        [80, 80],
      ]);
      const outbox = await sqlRows<{ threshold: string }>(
        harness(),
        `select payload->>'threshold' as threshold from notification_outbox where organization_id = 'org_consume_alerts' order by 1`,
      );
      expect(outbox).toEqual([{ threshold: '100' }, { threshold: '80' }]);
    });

    it('answers 400 for unknown features and bad quantities, 404 for unknown organizations', async () => {
      await createOrganization(harness(), 'org_errors');
      const unknownFeature = await check(harness(), { organization_id: 'org_errors', feature: 'teleports' });
      expect(unknownFeature.status).toBe(400);
      expect(unknownFeature.body.error.code).toBe('unknown_feature');
      const negative = await check(harness(), {
        organization_id: 'org_errors',
        feature: 'exports',
        quantity: -1,
      });
      expect(negative.status).toBe(400);
      expect(negative.body.error.message).toContain('body.quantity');
      const unknownOrganization = await check(harness(), {
        organization_id: 'org_nobody',
        feature: 'exports',
      });
      expect(unknownOrganization.status).toBe(404);
      const noKey = await harness().request('POST', '/v1/check', {
        body: { organization_id: 'org_errors', feature: 'exports' },
        token: null,
      });
      expect(noKey.status).toBe(401);
    });

    it('consumes honour the aggregation: latest keeps the last level, unique_count is not consumable', async () => {
      await createOrganization(harness(), 'org_levels');
      const consume = (quantity: number) =>
        check(harness(), {
          organization_id: 'org_levels',
          feature: 'queue_depth',
          quantity,
          consume: true,
          project_id: 'workers',
        });
      expect((await consume(3)).body).toMatchObject({ allowed: true, used: 3 });
      expect((await consume(3)).body).toMatchObject({ allowed: true, used: 3 });
      expect((await consume(2)).body).toMatchObject({ allowed: true, used: 2 });
      const usage = await harness().request('GET', '/v1/organizations/org_levels/usage');
      const line = usage.body.features.find((entry: { feature: string }) => entry.feature === 'queue_depth');
      expect(line.used).toBe(2);
      const workers = await harness().request('GET', '/v1/organizations/org_levels/usage?project_id=workers');
      const projectLine = workers.body.features.find(
        (entry: { feature: string }) => entry.feature === 'queue_depth',
      );
      expect(projectLine.used).toBe(2);
      const distinct = await check(harness(), {
        organization_id: 'org_levels',
        feature: 'active_users',
        consume: true,
      });
      expect(distinct.status).toBe(400);
      expect(distinct.body.error.code).toBe('not_consumable');
      // A check without consume still answers for unique_count.
      const asked = await check(harness(), { organization_id: 'org_levels', feature: 'active_users' });
      expect(asked.status).toBe(200);
    });

    it('defect 4: a quantity above 10^15 is refused where it enters, and huge usage still reads as a 200', async () => {
      await createOrganization(harness(), 'org_huge', 'standard');
      for (const quantity of ['100000000000000000000', 1e20, '1000000000000000.5']) {
        const refused = await check(harness(), {
          organization_id: 'org_huge',
          feature: 'agent_executions',
          quantity,
          consume: true,
        });
        expect(refused.status).toBe(400);
        expect(refused.body.error.message).toContain('body.quantity');
      }
      const atBound = await check(harness(), {
        organization_id: 'org_huge',
        feature: 'agent_executions',
        quantity: '1000000000000000',
      });
      expect(atBound.status).toBe(200);
      // 200 events of 10^15 priced as overage pass what a JSON number holds exactly.
      const events = Array.from({ length: 200 }, (_, index) => ({
        id: `huge_${index}`,
        organization_id: 'org_huge',
        event: 'agent_executions',
        quantity: '1000000000000000',
      }));
      expect((await ingest(harness(), events)).body.accepted).toBe(200);
      const usage = await harness().request('GET', '/v1/organizations/org_huge/usage');
      expect(usage.status).toBe(200);
      const line = usage.body.features.find(
        (entry: { feature: string }) => entry.feature === 'agent_executions',
      );
      expect(line.overage_amount).toBe(Number.MAX_SAFE_INTEGER);
    });

    it('defect 1: a feature named like an inherited property is an unknown feature, not a 500', async () => {
      await createOrganization(harness(), 'org_inherited');
      for (const feature of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
        const answer = await check(harness(), { organization_id: 'org_inherited', feature });
        expect(answer.status).toBe(400);
        expect(answer.body.error.code).toBe('unknown_feature');
      }
    });

    it('accepts and refuses exactly the bodies its schema does, and answers in the documented shape', async () => {
      await createOrganization(harness(), 'org_shapes');
      const base = { organization_id: 'org_shapes', feature: 'exports' };
      // Well-formed bodies (the route's fast path) and malformed ones (zod's errors) alike.
      const cases: Array<[object, number]> = [
        [base, 200],
        [
          { ...base, quantity: '2.5', project_id: 'p1', user_id: 'u1', consume: false, idempotency_key: 'k' },
          200,
        ],
        [{ ...base, quantity: 0 }, 200],
        [{ ...base, quantity: '1e3' }, 400],
        [{ ...base, quantity: Number.NaN }, 400],
        [{ ...base, quantity: true }, 400],
        [{ ...base, quantity: ' -0.5 ' }, 400],
        [{ ...base, consume: 'yes' }, 400],
        [{ ...base, project_id: 'a/b' }, 400],
        [{ ...base, user_id: '' }, 400],
        [{ ...base, idempotency_key: 'k'.repeat(256) }, 400],
        [{ ...base, feature: 'f'.repeat(64) }, 400],
        [{ ...base, organization_id: 'has space' }, 400],
        [{ ...base, surprise: 1 }, 400],
        [{ feature: 'exports' }, 400],
      ];
      for (const [body, status] of cases) {
        const answer = await check(harness(), body);
        expect({ body, status: answer.status }).toEqual({ body, status });
        expect(answer.headers['x-request-id']).toMatch(/^req_/);
        if (status === 200) expect(checkResponse.strict().safeParse(answer.body).error).toBeUndefined();
        else expect(answer.body.error.code).toBe('invalid_request');
      }
      await check(harness(), { ...base, quantity: 5, consume: true });
      for (const body of [
        { ...base, quantity: 1 },
        { ...base, feature: 'sso' },
        { ...base, feature: 'seats' },
      ]) {
        const answer = await check(harness(), body);
        expect(checkResponse.strict().safeParse(answer.body).error).toBeUndefined();
      }
      const missing = await check(harness(), { ...base, organization_id: 'org_missing' });
      expect(missing.headers['x-request-id']).toBe(missing.body.error.request_id);
    });
  },
  { catalog: meteringTestCatalog },
);
