import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import type { AddMemberBody } from '../src/routes/add-member.js';
import { describeEachDatabase } from './support/harness.js';

describeEachDatabase('projects, users and seats', (harness) => {
  it('creates projects with host ids or generated ids, and rejects a duplicate', async () => {
    await harness().request('POST', '/v1/organizations', { body: { id: 'proj_org', name: 'P' } });
    const named = await harness().request('POST', '/v1/organizations/proj_org/projects', {
      body: { id: 'web', name: 'Web app' },
    });
    expect(named.status).toBe(201);
    expect(named.body).toMatchObject({ id: 'web', organization_id: 'proj_org', name: 'Web app' });
    const generated = await harness().request('POST', '/v1/organizations/proj_org/projects', {
      body: { name: 'Generated' },
    });
    expect(generated.body.id).toMatch(/^proj_/);
    const duplicate = await harness().request('POST', '/v1/organizations/proj_org/projects', {
      body: { id: 'web', name: 'Again' },
    });
    expect(duplicate.status).toBe(409);
    const list = await harness().request('GET', '/v1/organizations/proj_org/projects');
    expect(list.body.data.map((project: { name: string }) => project.name).sort()).toEqual([
      'Generated',
      'Web app',
    ]);
    expect(
      (await harness().request('POST', '/v1/organizations/nobody/projects', { body: { name: 'x' } })).status,
    ).toBe(404);
  });

  it('adds users as members, updates roles idempotently and removes them', async () => {
    await harness().request('POST', '/v1/organizations', { body: { id: 'team_org', name: 'Team' } });
    const body: AddMemberBody = { id: 'user_1', email: 'one@team.test', role: 'admin' };
    const added = await harness().request('POST', '/v1/organizations/team_org/users', { body });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ id: 'user_1', organization_id: 'team_org', role: 'admin' });
    const again = await harness().request('POST', '/v1/organizations/team_org/users', {
      body: { id: 'user_1', role: 'owner' },
    });
    expect(again.body).toMatchObject({ role: 'owner', email: 'one@team.test' });
    expect((await harness().request('GET', '/v1/organizations/team_org/users')).body.data).toHaveLength(1);
    expect((await harness().request('DELETE', '/v1/organizations/team_org/users/user_1')).status).toBe(204);
    expect((await harness().request('DELETE', '/v1/organizations/team_org/users/user_1')).status).toBe(404);
    expect((await harness().request('GET', '/v1/organizations/team_org/users')).body.data).toHaveLength(0);
  });

  it('enforces the free plan hard cap of 3 seats and frees a seat on removal', async () => {
    await harness().request('POST', '/v1/organizations', { body: { id: 'seat_org', name: 'Seats' } });
    for (const id of ['s1', 's2', 's3']) {
      expect(
        (await harness().request('POST', '/v1/organizations/seat_org/users', { body: { id } })).status,
      ).toBe(201);
    }
    const fourth = await harness().request('POST', '/v1/organizations/seat_org/users', {
      body: { id: 's4' },
    });
    expect(fourth.status).toBe(409);
    expect(fourth.body.error).toMatchObject({ code: 'seat_limit_reached', limit: 3, used: 3 });
    // Re-adding an existing member takes no new seat.
    expect(
      (await harness().request('POST', '/v1/organizations/seat_org/users', { body: { id: 's1' } })).status,
    ).toBe(201);
    await harness().request('DELETE', '/v1/organizations/seat_org/users/s3');
    expect(
      (await harness().request('POST', '/v1/organizations/seat_org/users', { body: { id: 's4' } })).status,
    ).toBe(201);
  });

  it('records every mutation in the audit log with before and after, newest first', async () => {
    await harness().request('POST', '/v1/organizations', { body: { id: 'audit_org', name: 'Old name' } });
    await harness().request('PATCH', '/v1/organizations/audit_org', { body: { name: 'New name' } });
    await harness().request('POST', '/v1/organizations/audit_org/projects', { body: { id: 'p', name: 'P' } });
    await harness().request('POST', '/v1/organizations/audit_org/users', { body: { id: 'u' } });
    const page = await harness().request('GET', '/v1/organizations/audit_org/audit-log?limit=3');
    expect(page.body.data.map((entry: { action: string }) => entry.action)).toEqual([
      'member.added',
      'project.created',
      'organization.updated',
    ]);
    const update = page.body.data[2];
    expect(update.before).toMatchObject({
      name: 'Old name',
      trial_organization: false,
      created_at: expect.any(String),
    });
    expect(update.after).toMatchObject({ name: 'New name', updated_at: '2026-11-15T12:00:00.000Z' });
    expect(update.actor).toBe('key:admin');
    expect(update.request_id).toMatch(/^req_/);
    expect(page.body.has_more).toBe(true);
    const rest = await harness().request(
      'GET',
      `/v1/organizations/audit_org/audit-log?starting_after=${page.body.next_cursor}`,
    );
    expect(rest.body.data.map((entry: { action: string }) => entry.action)).toEqual(['organization.created']);
  });

  it('serves the catalog at /v1/plans', async () => {
    const plans = await harness().request('GET', '/v1/plans');
    expect(plans.status).toBe(200);
    expect(plans.body.plans.map((plan: { code: string }) => plan.code)).toEqual([
      'free',
      'standard',
      'enterprise',
    ]);
    expect(plans.body.credit_packs).toEqual([
      expect.objectContaining({
        code: 'credits_1k',
        credits: 1000,
        price: { amount: 1000, stripe_price_id: null },
      }),
      expect.objectContaining({
        code: 'credits_10k',
        credits: 10000,
        price: { amount: 8000, stripe_price_id: null },
      }),
    ]);
    expect(plans.body.catalog_version).toBe('demo-1');
    const stored = await harness().tollgate.database.db.execute(
      sql`select hash, version from catalog_versions`,
    );
    expect(stored.rows).toEqual([{ hash: plans.body.catalog_hash, version: 'demo-1' }]);
  });
});
