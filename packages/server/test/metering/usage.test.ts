import { expect, it } from 'vitest';
import { describeEachDatabase } from '../support/harness.js';
import { createOrganization, ingest } from './helpers.js';
import { meteringTestCatalog } from './test-catalog.js';

describeEachDatabase(
  'usage reads',
  (harness) => {
    it('reports the current calendar-month period on the free plan, per feature and per project', async () => {
      await createOrganization(harness(), 'org_report');
      await ingest(harness(), [
        { id: 'a', organization_id: 'org_report', event: 'llm_tokens', quantity: 8_000, project_id: 'web' },
        { id: 'b', organization_id: 'org_report', event: 'llm_tokens', quantity: 500, project_id: 'cli' },
        { id: 'c', organization_id: 'org_report', event: 'api_calls', quantity: 3 },
        // Last month's event: inside the 35-day window, counted in October's period, not November's.
        {
          id: 'd',
          organization_id: 'org_report',
          event: 'api_calls',
          quantity: 50,
          timestamp: '2026-10-31T23:00:00Z',
        },
      ]);
      const report = await harness().request('GET', '/v1/organizations/org_report/usage');
      expect(report.status).toBe(200);
      expect(report.body.plan).toBe('free');
      expect(report.body.period).toEqual({
        start: '2026-11-01T00:00:00.000Z',
        end: '2026-12-01T00:00:00.000Z',
      });
      const tokens = report.body.features.find((line: { feature: string }) => line.feature === 'llm_tokens');
      expect(tokens).toEqual({
        feature: 'llm_tokens',
        used: 8_500,
        included: 10_000,
        limit: 10_000,
        remaining: 1_500,
        percent: 85,
        cap: 'soft',
        overage_quantity: 0,
        overage_amount: 0,
      });
      expect(
        report.body.features.find((line: { feature: string }) => line.feature === 'api_calls').used,
      ).toBe(3);
      expect(report.body.features.some((line: { feature: string }) => line.feature === 'sso')).toBe(false);
      expect(report.body.projects).toEqual([
        { project_id: 'cli', features: [{ feature: 'llm_tokens', used: 500 }] },
        { project_id: 'web', features: [{ feature: 'llm_tokens', used: 8_000 }] },
      ]);
    });

    it('follows the anniversary period of an assigned plan and rolls over at its end', async () => {
      await createOrganization(harness(), 'org_anniversary', 'standard');
      await ingest(harness(), [
        { id: 'a1', organization_id: 'org_anniversary', event: 'api_calls', quantity: 10 },
      ]);
      const before = await harness().request('GET', '/v1/organizations/org_anniversary/usage');
      expect(before.body.period.start).toBe(harness().clock.now.toISOString());
      const calls = () =>
        harness()
          .request('GET', '/v1/organizations/org_anniversary/usage')
          .then(
            (response) =>
              response.body.features.find((line: { feature: string }) => line.feature === 'api_calls').used,
          );
      expect(await calls()).toBe(10);
      const start = harness().clock.now;
      harness().clock.set(new Date(Date.UTC(2026, 11, 15, 12, 0, 0)));
      try {
        expect(await calls()).toBe(0);
        const after = await harness().request('GET', '/v1/organizations/org_anniversary/usage');
        expect(after.body.period.start).toBe('2026-12-15T12:00:00.000Z');
      } finally {
        harness().clock.set(start);
      }
    });

    it('gives an hourly history with zero-filled buckets', async () => {
      await createOrganization(harness(), 'org_history');
      await ingest(harness(), [
        {
          id: 'h1',
          organization_id: 'org_history',
          event: 'api_calls',
          quantity: 2,
          timestamp: '2026-11-15T09:10:00Z',
        },
        {
          id: 'h2',
          organization_id: 'org_history',
          event: 'api_calls',
          quantity: 3,
          timestamp: '2026-11-15T09:50:00Z',
        },
        {
          id: 'h3',
          organization_id: 'org_history',
          event: 'api_calls',
          quantity: 4,
          timestamp: '2026-11-15T11:05:00Z',
        },
      ]);
      const history = await harness().request(
        'GET',
        '/v1/organizations/org_history/usage/api_calls/history?granularity=hour&from=2026-11-15T09:00:00Z&to=2026-11-15T12:00:00Z',
      );
      expect(history.status).toBe(200);
      expect(history.body.points).toEqual([
        { start: '2026-11-15T09:00:00.000Z', value: 5 },
        { start: '2026-11-15T10:00:00.000Z', value: 0 },
        { start: '2026-11-15T11:00:00.000Z', value: 4 },
      ]);
      const tooLong = await harness().request(
        'GET',
        '/v1/organizations/org_history/usage/api_calls/history?granularity=hour&from=2026-01-01T00:00:00Z',
      );
      expect(tooLong.status).toBe(400);
      expect(tooLong.body.error.code).toBe('range_too_large');
      const unknown = await harness().request('GET', '/v1/organizations/org_history/usage/teleports/history');
      expect(unknown.status).toBe(400);
    });

    it('filters the usage report and its history by project_id alike', async () => {
      await createOrganization(harness(), 'org_projects');
      const event = (id: string, project: string, quantity: number, user: string, hour: string) => [
        {
          id: `calls_${id}`,
          organization_id: 'org_projects',
          event: 'api_calls',
          quantity,
          project_id: project,
          timestamp: `2026-11-15T${hour}:10:00Z`,
        },
        {
          id: `users_${id}`,
          organization_id: 'org_projects',
          event: 'active_users',
          project_id: project,
          properties: { user },
          timestamp: `2026-11-15T${hour}:20:00Z`,
        },
      ];
      const accepted = await ingest(harness(), [
        ...event('1', 'web', 2, 'ann', '09'),
        ...event('2', 'cli', 5, 'bob', '09'),
        ...event('3', 'web', 3, 'bob', '11'),
      ]);
      expect(accepted.body.accepted).toBe(6);
      const web = await harness().request('GET', '/v1/organizations/org_projects/usage?project_id=web');
      expect(web.status).toBe(200);
      const lineOf = (body: { features: { feature: string; used: number }[] }, feature: string) =>
        body.features.find((line) => line.feature === feature)?.used;
      expect(lineOf(web.body, 'api_calls')).toBe(5);
      expect(lineOf(web.body, 'active_users')).toBe(2);
      expect(web.body.projects.map((project: { project_id: string }) => project.project_id)).toEqual(['web']);
      const all = await harness().request('GET', '/v1/organizations/org_projects/usage');
      expect(lineOf(all.body, 'api_calls')).toBe(10);
      const range = 'granularity=hour&from=2026-11-15T09:00:00Z&to=2026-11-15T12:00:00Z';
      const calls = await harness().request(
        'GET',
        `/v1/organizations/org_projects/usage/api_calls/history?${range}&project_id=web`,
      );
      expect(calls.status).toBe(200);
      expect(calls.body.points.map((point: { value: number }) => point.value)).toEqual([2, 0, 3]);
      const users = await harness().request(
        'GET',
        `/v1/organizations/org_projects/usage/active_users/history?granularity=day&from=2026-11-15T00:00:00Z&to=2026-11-16T00:00:00Z&project_id=cli`,
      );
      expect(users.body.points).toEqual([{ start: '2026-11-15T00:00:00.000Z', value: 1 }]);
      const nobody = await harness().request('GET', '/v1/organizations/org_projects/usage?project_id=none');
      expect(lineOf(nobody.body, 'api_calls')).toBe(0);
      const bad = await harness().request('GET', '/v1/organizations/org_projects/usage?project_id=a%2Fb');
      expect(bad.status).toBe(400);
    });

    it('defect 5: a history of a feature named like an inherited property is a 400 unknown_feature, not an SQL error', async () => {
      await createOrganization(harness(), 'org_proto_history');
      for (const feature of ['__proto__', 'constructor', 'toString']) {
        const history = await harness().request(
          'GET',
          `/v1/organizations/org_proto_history/usage/${feature}/history`,
        );
        expect(history.status).toBe(400);
        expect(history.body.error.code).toBe('unknown_feature');
      }
    });

    it("lets an organization session read its own usage and alerts, never another organization's", async () => {
      await createOrganization(harness(), 'org_mine');
      await createOrganization(harness(), 'org_theirs');
      const session = await harness().request('POST', '/v1/organizations/org_mine/sessions', { body: {} });
      const token = session.body.token;
      expect((await harness().request('GET', '/v1/organizations/org_mine/usage', { token })).status).toBe(
        200,
      );
      expect((await harness().request('GET', '/v1/organizations/org_mine/alerts', { token })).status).toBe(
        200,
      );
      for (const path of ['usage', 'alerts', 'usage/api_calls/history']) {
        const theirs = await harness().request('GET', `/v1/organizations/org_theirs/${path}`, { token });
        expect(theirs.status).toBe(404);
      }
      expect((await harness().request('GET', '/v1/organizations/org_nobody/usage')).status).toBe(404);
      expect(
        (
          await harness().request('POST', '/v1/check', {
            token,
            body: { organization_id: 'org_mine', feature: 'api_calls' },
          })
        ).status,
      ).toBe(403);
    });
  },
  { catalog: meteringTestCatalog },
);
