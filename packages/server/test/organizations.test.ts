import { describe, expect, it } from 'vitest';
import type { CreateOrganizationBody } from '../src/routes/create-organization.js';
import { describeEachDatabase, type TestResponse } from './support/harness.js';

describeEachDatabase('organizations', (harness) => {
  it('creates an organization on the default plan and reads it back', async () => {
    const body: CreateOrganizationBody = { id: 'org_happy', name: 'Happy Inc', email: 'ops@happy.test' };
    const created = await harness().request('POST', '/v1/organizations', { body });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: 'org_happy',
      name: 'Happy Inc',
      email: 'ops@happy.test',
      plan: 'free',
    });
    expect(created.body.subscription).toMatchObject({
      plan: 'free',
      status: 'active',
      source: 'default',
      current_period_start: '2026-11-01T00:00:00.000Z',
      current_period_end: '2026-12-01T00:00:00.000Z',
    });
    const read = await harness().request('GET', '/v1/organizations/org_happy');
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
  });

  it('accepts any host-app id up to 255 characters', async () => {
    const id = `tenant-${'x'.repeat(248)}`;
    expect(id).toHaveLength(255);
    const created = await harness().request('POST', '/v1/organizations', { body: { id, name: 'Long' } });
    expect(created.status).toBe(201);
    expect((await harness().request('GET', `/v1/organizations/${id}`)).body.id).toBe(id);
    const tooLong = await harness().request('POST', '/v1/organizations', {
      body: { id: `${id}y`, name: 'Long' },
    });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.message).toContain('body.id');
  });

  it('lets an operator assign a plan without payment and records the plan history', async () => {
    const created = await harness().request('POST', '/v1/organizations', {
      body: { id: 'org_deal', name: 'Deal', plan: 'enterprise', interval: 'year' },
    });
    expect(created.status).toBe(201);
    expect(created.body.subscription).toMatchObject({
      plan: 'enterprise',
      interval: 'year',
      source: 'manual',
      current_period_start: '2026-11-15T12:00:00.000Z',
      current_period_end: '2027-11-15T12:00:00.000Z',
    });
    const moved = await harness().request('PATCH', '/v1/organizations/org_deal', {
      body: { plan: 'standard' },
    });
    expect(moved.status).toBe(200);
    expect(moved.body.plan).toBe('standard');
    // The interval not named in the change is kept.
    expect(moved.body.subscription.interval).toBe('year');
    expect(moved.body.subscription.id).not.toBe(created.body.subscription.id);
    const monthly = await harness().request('PATCH', '/v1/organizations/org_deal', {
      body: { interval: 'month' },
    });
    expect(monthly.body.subscription).toMatchObject({ plan: 'standard', interval: 'month' });
    const unchanged = await harness().request('PATCH', '/v1/organizations/org_deal', {
      body: { plan: 'standard', interval: 'month' },
    });
    expect(unchanged.body.subscription.id).toBe(monthly.body.subscription.id);
  });

  it('defect 1: a plan named like an inherited property is refused, and the organization stays readable', async () => {
    const created = await harness().request('POST', '/v1/organizations', {
      body: { id: 'org_inherited_plan', name: 'Inherited', email: 'ops@inherited.test' },
    });
    expect(created.status).toBe(201);
    for (const plan of ['toString', '__proto__', 'constructor', 'valueOf', 'hasOwnProperty']) {
      const patched = await harness().request('PATCH', '/v1/organizations/org_inherited_plan', {
        body: { plan },
      });
      expect(patched.status).toBe(400);
    }
    const checked = await harness().request('POST', '/v1/check', {
      body: { organization_id: 'org_inherited_plan', feature: 'api_calls' },
    });
    expect(checked.status).toBe(200);
    const usage = await harness().request('GET', '/v1/organizations/org_inherited_plan/usage');
    expect(usage.status).toBe(200);
    expect(usage.body.plan).toBe('free');
  });

  it('updates name, email and metadata and keeps the rest', async () => {
    await harness().request('POST', '/v1/organizations', { body: { id: 'org_patch', name: 'Before' } });
    const patched = await harness().request('PATCH', '/v1/organizations/org_patch', {
      body: { name: 'After', metadata: { crm_id: '42' } },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      name: 'After',
      email: null,
      metadata: { crm_id: '42' },
      plan: 'free',
    });
  });

  it('pages through organizations in id order', async () => {
    for (const id of ['page_a', 'page_b', 'page_c']) {
      await harness().request('POST', '/v1/organizations', { body: { id, name: id } });
    }
    const seen: string[] = [];
    let cursor: string | null = 'page_';
    while (cursor) {
      const page: TestResponse = await harness().request(
        'GET',
        `/v1/organizations?limit=2&starting_after=${cursor}`,
      );
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((organization: { id: string }) => organization.id));
      cursor = page.body.next_cursor;
      expect(page.body.has_more).toBe(cursor !== null);
    }
    expect(seen.filter((id) => id.startsWith('page_'))).toEqual(['page_a', 'page_b', 'page_c']);
  });

  describe('bad input', () => {
    it('names the missing or mistyped field', async () => {
      const missing = await harness().request('POST', '/v1/organizations', { body: { id: 'no_name' } });
      expect(missing.status).toBe(400);
      expect(missing.body.error).toMatchObject({ code: 'invalid_request' });
      expect(missing.body.error.message).toContain('body.name');
      expect(missing.body.error.request_id).toMatch(/^req_/);
      const wrongType = await harness().request('POST', '/v1/organizations', {
        body: { id: 7, name: 'Seven' },
      });
      expect(wrongType.status).toBe(400);
      expect(wrongType.body.error.message).toContain('body.id');
    });

    it('rejects unknown fields', async () => {
      const response = await harness().request('POST', '/v1/organizations', {
        body: { id: 'org_unknown_field', name: 'X', colour: 'blue' },
      });
      expect(response.status).toBe(400);
      expect(response.body.error.fields).toEqual([
        { field: 'body.colour', message: 'Unrecognized key: "colour"' },
      ]);
      expect((await harness().request('GET', '/v1/organizations/org_unknown_field')).status).toBe(404);
    });

    it('answers 409 for a duplicate id and changes nothing', async () => {
      await harness().request('POST', '/v1/organizations', { body: { id: 'org_dup', name: 'First' } });
      const again = await harness().request('POST', '/v1/organizations', {
        body: { id: 'org_dup', name: 'Second' },
      });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('organization_exists');
      expect((await harness().request('GET', '/v1/organizations/org_dup')).body.name).toBe('First');
    });

    it('answers 404 for an unknown organization', async () => {
      const response = await harness().request('GET', '/v1/organizations/nobody');
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe('not_found');
    });

    it('rejects an unknown plan without writing the organization', async () => {
      const response = await harness().request('POST', '/v1/organizations', {
        body: { id: 'org_bad_plan', name: 'X', plan: 'platinum' },
      });
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('unknown_plan');
      expect((await harness().request('GET', '/v1/organizations/org_bad_plan')).status).toBe(404);
    });

    it('answers 413 for a body over 1 MB', async () => {
      const response = await harness().request('POST', '/v1/organizations', {
        body: { id: 'org_big', name: 'x'.repeat(1_100_000) },
      });
      expect(response.status).toBe(413);
      expect(response.body.error.code).toBe('payload_too_large');
    });

    it('answers 400 for malformed JSON', async () => {
      const response = await harness().request('POST', '/v1/organizations', {
        body: '{"id": "broken"',
        headers: { 'content-type': 'application/json' },
      });
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('invalid_json');
    });
  });
});
