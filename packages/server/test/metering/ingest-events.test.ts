import { expect, it } from 'vitest';
import { describeEachDatabase } from '../support/harness.js';
import { createOrganization, ingest, sqlRows, usageOf } from './helpers.js';
import { meteringTestCatalog } from './test-catalog.js';

const now = '2026-11-15T12:00:00.000Z';

const rejectionCodes = (body: { rejected: { index: number; code: string }[] }) =>
  body.rejected.map((rejection) => [rejection.index, rejection.code]);

describeEachDatabase(
  'POST /v1/events',
  (harness) => {
    it('stores each event id once per organization, forever, and counts it once', async () => {
      await createOrganization(harness(), 'org_once');
      const events = [
        { id: 'e1', organization_id: 'org_once', event: 'llm_tokens', quantity: 100 },
        { id: 'e2', organization_id: 'org_once', event: 'llm_tokens', quantity: '0.5', project_id: 'p1' },
        { id: 'e1', organization_id: 'org_once', event: 'llm_tokens', quantity: 100 },
      ];
      const first = await ingest(harness(), events);
      expect(first.status).toBe(200);
      expect(first.body).toEqual({ accepted: 2, duplicates: 1, rejected: [] });
      const again = await ingest(harness(), events);
      expect(again.body).toEqual({ accepted: 0, duplicates: 3, rejected: [] });
      expect((await usageOf(harness(), 'org_once', 'llm_tokens')).used).toBe(100.5);
    });

    it('stores each event as sent: defaults, optional fields, an event counted toward another feature, a credit event', async () => {
      await createOrganization(harness(), 'org_fields');
      const grant = await harness().request('POST', '/v1/organizations/org_fields/credits/grants', {
        body: { amount: 100, source: 'purchased', idempotency_key: 'fields-grant' },
      });
      expect(grant.status).toBe(201);
      const response = await ingest(harness(), [
        { id: 'plain', organization_id: 'org_fields', event: 'api_calls' },
        {
          id: 'full',
          organization_id: 'org_fields',
          event: 'llm_tokens',
          quantity: '2.5',
          project_id: 'p1',
          user_id: 'u1',
          timestamp: '2026-11-15T11:59:00Z',
          properties: { path: '/x', n: 1 },
        },
        {
          id: 'alias',
          organization_id: 'org_fields',
          event: 'page_view',
          timestamp: Date.parse('2026-11-15T11:00:00Z'),
        },
        { id: 'credit', organization_id: 'org_fields', event: 'ai_inference' },
      ]);
      expect(response.body).toEqual({ accepted: 4, duplicates: 0, rejected: [] });
      const rows = await sqlRows<Record<string, unknown>>(
        harness(),
        `select id, event, feature, project_id, user_id, quantity::text as quantity,
           to_char("timestamp" at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') as at, properties,
           "timestamp" = received_at as received_then
         from usage_events where organization_id = 'org_fields' order by id`,
      );
      const parsed = rows.map((row) => ({
        ...row,
        properties: typeof row.properties === 'string' ? JSON.parse(row.properties) : row.properties,
      }));
      const base = { project_id: null, user_id: null, properties: null, quantity: '1' };
      expect(parsed).toEqual([
        {
          ...base,
          id: 'alias',
          event: 'page_view',
          feature: 'page_views',
          at: '2026-11-15T11:00:00',
          received_then: false,
        },
        {
          ...base,
          id: 'credit',
          event: 'ai_inference',
          feature: null,
          at: '2026-11-15T12:00:00',
          received_then: true,
        },
        {
          id: 'full',
          event: 'llm_tokens',
          feature: 'llm_tokens',
          project_id: 'p1',
          user_id: 'u1',
          quantity: '2.5',
          at: '2026-11-15T11:59:00',
          properties: { path: '/x', n: 1 },
          received_then: false,
        },
        {
          ...base,
          id: 'plain',
          event: 'api_calls',
          feature: 'api_calls',
          at: '2026-11-15T12:00:00',
          received_then: true,
        },
      ]);
    });

    it('keys ids per organization: the same id in two organizations counts in both', async () => {
      await createOrganization(harness(), 'org_key_a');
      await createOrganization(harness(), 'org_key_b');
      const response = await ingest(harness(), [
        { id: 'shared', organization_id: 'org_key_a', event: 'api_calls' },
        { id: 'shared', organization_id: 'org_key_b', event: 'api_calls' },
      ]);
      expect(response.body.accepted).toBe(2);
      expect((await usageOf(harness(), 'org_key_b', 'api_calls')).used).toBe(1);
    });

    it('rejects bad events one by one and keeps the rest of the batch', async () => {
      await createOrganization(harness(), 'org_bad');
      const ok = { organization_id: 'org_bad', event: 'api_calls' };
      const response = await ingest(harness(), [
        { ...ok, id: 'good_1' },
        { ...ok },
        { ...ok, id: 'neg', quantity: -1 },
        { ...ok, id: 'nan', quantity: 'lots' },
        { ...ok, id: 'unknown', event: 'teleports' },
        { ...ok, id: 'nobody', organization_id: 'org_missing' },
        { ...ok, id: 'old', timestamp: '2026-10-01T00:00:00Z' },
        { ...ok, id: 'future', timestamp: Date.parse(now) + 10 * 60_000 },
        { ...ok, id: 'fat', properties: { blob: 'x'.repeat(9000) } },
        { ...ok, id: 'x'.repeat(256) },
        { ...ok, id: 'extra', colour: 'red' },
        { ...ok, id: 'credit', event: 'ai_inference' },
        { ...ok, id: 'good_2', quantity: '2', timestamp: '2026-11-15T11:59:00Z', properties: { path: '/x' } },
      ]);
      expect(response.status).toBe(200);
      // good_1, good_2 and the credit event (the ledger debits it, or records that it could not).
      expect(response.body.accepted).toBe(3);
      expect(rejectionCodes(response.body)).toEqual([
        [1, 'invalid_id'],
        [2, 'invalid_quantity'],
        [3, 'invalid_quantity'],
        [4, 'unknown_event'],
        [5, 'organization_not_found'],
        [6, 'timestamp_too_old'],
        [7, 'timestamp_in_future'],
        [8, 'properties_too_large'],
        [9, 'invalid_id'],
        [10, 'invalid_event'],
      ]);
      expect((await usageOf(harness(), 'org_bad', 'api_calls')).used).toBe(3);
    });

    it('defect 2: one bad event (NUL id, lone surrogate, deep properties, inherited name) is rejected alone', async () => {
      await createOrganization(harness(), 'org_hostile');
      const ok = { organization_id: 'org_hostile', event: 'api_calls' };
      // Too deep for JSON.stringify on the way out, so the request is written as text.
      const deep = `${'{"nested":'.repeat(5000)}1${'}'.repeat(5000)}`;
      let justDeepEnough: Record<string, unknown> = { leaf: 1 };
      for (let level = 1; level < 32; level += 1) justDeepEnough = { nested: justDeepEnough };
      const events = [
        { ...ok, id: 'good_1' },
        { ...ok, id: 'bad\u0000' },
        { ...ok, id: 'surrogate', properties: { note: '\ud800' } },
        { ...ok, id: 'surrogate_key', properties: { ['\udc00']: 1 } },
        { ...ok, id: 'deep', properties: 'DEEP' },
        { ...ok, id: 'inherited', event: 'toString' },
        { ...ok, id: 'proto', event: '__proto__' },
        { ...ok, id: 'nul_project', project_id: 'p\u0000' },
        { ...ok, id: 'good_2', properties: justDeepEnough },
      ];
      const response = await harness().request('POST', '/v1/events', {
        body: JSON.stringify({ events }).replace('"DEEP"', deep),
        headers: { 'content-type': 'application/json' },
      });
      expect(response.status).toBe(200);
      expect(rejectionCodes(response.body)).toEqual([
        [1, 'invalid_id'],
        [2, 'invalid_text'],
        [3, 'invalid_text'],
        [4, 'properties_too_deep'],
        [5, 'unknown_event'],
        [6, 'unknown_event'],
        [7, 'invalid_text'],
      ]);
      expect(response.body.accepted).toBe(2);
      expect((await usageOf(harness(), 'org_hostile', 'api_calls')).used).toBe(2);
    });

    it('refuses an empty batch, more than 1000 events and bodies over 1 MB as a whole', async () => {
      const empty = await harness().request('POST', '/v1/events', { body: { events: [] } });
      expect(empty.status).toBe(400);
      expect(empty.body.error.code).toBe('invalid_request');
      const many = Array.from({ length: 1001 }, (_, index) => ({
        id: `m${index}`,
        organization_id: 'o',
        event: 'api_calls',
      }));
      const tooMany = await ingest(harness(), many);
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.error.message).toContain('body.events');
      const huge = await ingest(harness(), [
        { id: 'h', organization_id: 'o', event: 'api_calls', properties: { x: 'y'.repeat(1_100_000) } },
      ]);
      expect(huge.status).toBe(413);
      expect(huge.body.error.code).toBe('payload_too_large');
    });

    it('needs a secret key: no key is 401, an organization session is 403', async () => {
      await createOrganization(harness(), 'org_auth');
      const body = { events: [{ id: 'a', organization_id: 'org_auth', event: 'api_calls' }] };
      expect((await harness().request('POST', '/v1/events', { body, token: null })).status).toBe(401);
      const session = await harness().request('POST', '/v1/organizations/org_auth/sessions', { body: {} });
      expect(session.status).toBe(201);
      const asSession = await harness().request('POST', '/v1/events', { body, token: session.body.token });
      expect(asSession.status).toBe(403);
      expect((await usageOf(harness(), 'org_auth', 'api_calls')).used).toBe(0);
    });

    it('aggregates count, unique_count, max and latest meters', async () => {
      await createOrganization(harness(), 'org_meters');
      const base = { organization_id: 'org_meters' };
      await ingest(harness(), [
        { ...base, id: 'l1', event: 'logins', quantity: 7 },
        { ...base, id: 'l2', event: 'logins', quantity: 7 },
        { ...base, id: 'u1', event: 'active_users', properties: { user: 'ann' } },
        { ...base, id: 'u2', event: 'active_users', properties: { user: 'bob' } },
        { ...base, id: 'u3', event: 'active_users', properties: { user: 'ann' } },
        { ...base, id: 's1', event: 'storage_gb', quantity: '0.75' },
        { ...base, id: 's2', event: 'storage_gb', quantity: '0.5' },
        { ...base, id: 'q1', event: 'queue_depth', quantity: 40, timestamp: '2026-11-15T11:00:00Z' },
        { ...base, id: 'q2', event: 'queue_depth', quantity: 10, timestamp: '2026-11-15T11:30:00Z' },
      ]);
      await ingest(harness(), [
        { ...base, id: 'u4', event: 'active_users', properties: { user: 'bob' } },
        { ...base, id: 'u5', event: 'active_users', properties: { user: 'cy' } },
        { ...base, id: 'q0', event: 'queue_depth', quantity: 99, timestamp: '2026-11-15T10:00:00Z' },
      ]);
      expect((await usageOf(harness(), 'org_meters', 'logins')).used).toBe(2);
      expect((await usageOf(harness(), 'org_meters', 'active_users')).used).toBe(3);
      expect((await usageOf(harness(), 'org_meters', 'storage_gb')).used).toBe(0.75);
      expect((await usageOf(harness(), 'org_meters', 'queue_depth')).used).toBe(10);
    });

    it('fires 80, 100 and 120 % alerts once each, as usage crosses them, with a queued notification', async () => {
      await createOrganization(harness(), 'org_alerts');
      const tokens = (id: string, quantity: number) => ({
        id,
        organization_id: 'org_alerts',
        event: 'llm_tokens',
        quantity,
      });
      await ingest(harness(), [tokens('t1', 7_999)]);
      expect((await harness().request('GET', '/v1/organizations/org_alerts/alerts')).body.data).toEqual([]);
      await ingest(harness(), [tokens('t2', 1)]);
      await ingest(harness(), [tokens('t3', 500), tokens('t4', 1)]);
      await ingest(harness(), [tokens('t5', 4_000)]);
      await ingest(harness(), [tokens('t6', 4_000)]);
      const alerts = await harness().request('GET', '/v1/organizations/org_alerts/alerts');
      expect(alerts.status).toBe(200);
      expect(
        alerts.body.data.map((alert: { threshold: number; used: number }) => [alert.threshold, alert.used]),
      ).toEqual([
        [120, 12_501],
        [100, 12_501],
        [80, 8_000],
      ]);
      const outbox = await sqlRows<{ kind: string; threshold: string }>(
        harness(),
        `select kind, payload->>'threshold' as threshold from notification_outbox where organization_id = 'org_alerts' order by 2`,
      );
      expect(outbox).toEqual([
        { kind: 'usage.threshold_crossed', threshold: '100' },
        { kind: 'usage.threshold_crossed', threshold: '120' },
        { kind: 'usage.threshold_crossed', threshold: '80' },
      ]);
    });

    it('counts 10,000 events with 25 % repeated ids, sent concurrently, exactly', async () => {
      await createOrganization(harness(), 'org_storm');
      const unique = Array.from({ length: 7_500 }, (_, index) => ({
        id: `storm_${index}`,
        organization_id: 'org_storm',
        event: 'llm_tokens',
        quantity: (index % 7) + 1,
        project_id: `p${index % 3}`,
      }));
      // Each repeat reuses an id with the same content, as a retried request would.
      const repeats = Array.from(
        { length: 2_500 },
        (_, index) => unique[(index * 3) % unique.length] as (typeof unique)[number],
      );
      const all = [...unique, ...repeats];
      // A fixed shuffle: every batch mixes first sightings and repeats.
      for (let index = all.length - 1; index > 0; index -= 1) {
        const other = (index * 7_919) % (index + 1);
        [all[index], all[other]] = [all[other] as (typeof all)[number], all[index] as (typeof all)[number]];
      }
      const batches = Array.from({ length: 20 }, (_, index) => all.slice(index * 500, index * 500 + 500));
      const responses = await Promise.all(batches.map((batch) => ingest(harness(), batch)));
      expect(responses.every((response) => response.status === 200)).toBe(true);
      const accepted = responses.reduce((total, response) => total + response.body.accepted, 0);
      const duplicates = responses.reduce((total, response) => total + response.body.duplicates, 0);
      expect(accepted).toBe(7_500);
      expect(duplicates).toBe(2_500);
      const expected = unique.reduce((total, event) => total + event.quantity, 0);
      expect((await usageOf(harness(), 'org_storm', 'llm_tokens')).used).toBe(expected);
      const report = await harness().request('GET', '/v1/organizations/org_storm/usage');
      const projectTotal = report.body.projects.reduce(
        (total: number, project: { features: { used: number }[] }) =>
          total + (project.features[0]?.used ?? 0),
        0,
      );
      expect(projectTotal).toBe(expected);
      const [stored] = await sqlRows<{ count: string }>(
        harness(),
        `select count(*)::text as count from usage_events where organization_id = 'org_storm'`,
      );
      expect(stored?.count).toBe('7500');
    });
  },
  { catalog: meteringTestCatalog, startAt: now },
);
