import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { describeEachDatabase } from './support/harness.js';

describeEachDatabase('authentication and tenant isolation', (harness) => {
  const createOrganization = (id: string) =>
    harness().request('POST', '/v1/organizations', { body: { id, name: id } });

  it('answers 401 without a key, with a malformed header or with an unknown key', async () => {
    const none = await harness().request('GET', '/v1/organizations', { token: null });
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('unauthenticated');
    const basic = await harness().request('GET', '/v1/organizations', {
      token: null,
      headers: { authorization: 'Basic dXNlcjpwYXNz' },
    });
    expect(basic.status).toBe(401);
    const unknown = await harness().request('GET', '/v1/organizations', { token: 'tg_sk_not_a_real_key' });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.message).not.toContain('tg_sk_not_a_real_key');
  });

  it('keeps health, readiness and the OpenAPI document public', async () => {
    expect((await harness().request('GET', '/healthz', { token: null })).body).toEqual({ status: 'ok' });
    const ready = await harness().request('GET', '/readyz', { token: null });
    expect(ready.body).toEqual({ status: 'ready', database: harness().target.name });
    const openapi = await harness().request('GET', '/openapi.json', { token: null });
    expect(openapi.status).toBe(200);
    expect(Object.keys(openapi.body.paths)).toEqual(
      expect.arrayContaining(['/v1/organizations', '/v1/organizations/{organizationId}', '/v1/plans']),
    );
    expect((await harness().request('GET', '/docs/', { token: null })).status).toBe(200);
  });

  describe('secret keys', () => {
    it('shows a new secret once, stores only its hash, and revokes it at once', async () => {
      const created = await harness().request('POST', '/v1/api-keys', { body: { name: 'backend' } });
      expect(created.status).toBe(201);
      const secret: string = created.body.secret;
      expect(secret).toMatch(/^tg_sk_[A-Za-z0-9_-]{43}$/);
      expect(created.body.display_prefix).toBe(secret.slice(0, 10));

      const listed = await harness().request('GET', '/v1/api-keys');
      expect(JSON.stringify(listed.body)).not.toContain(secret);
      const stored = await harness().tollgate.database.db.execute(
        sql`select secret_hash from api_keys where id = ${created.body.id}`,
      );
      expect(JSON.stringify(stored.rows)).not.toContain(secret);

      expect((await harness().request('GET', '/v1/organizations', { token: secret })).status).toBe(200);
      const revoked = await harness().request('DELETE', `/v1/api-keys/${created.body.id}`);
      expect(revoked.status).toBe(200);
      expect(revoked.body.revoked_at).not.toBeNull();
      expect((await harness().request('GET', '/v1/organizations', { token: secret })).status).toBe(401);
      expect((await harness().request('DELETE', `/v1/api-keys/${created.body.id}`)).status).toBe(409);
    });

    it('audits who created an organization with which key', async () => {
      const key = await harness().request('POST', '/v1/api-keys', { body: { name: 'auditor' } });
      await harness().request('POST', '/v1/organizations', {
        body: { id: 'org_by_key', name: 'By key' },
        token: key.body.secret,
      });
      const log = await harness().request('GET', '/v1/organizations/org_by_key/audit-log');
      expect(log.body.data[0]).toMatchObject({ actor: `key:${key.body.id}`, action: 'organization.created' });
      expect(JSON.stringify(log.body)).not.toContain(key.body.secret);
    });
  });

  describe('organization session tokens', () => {
    it('reach their own organization only; another one looks like it does not exist', async () => {
      await createOrganization('tenant_a');
      await createOrganization('tenant_b');
      const session = await harness().request('POST', '/v1/organizations/tenant_a/sessions', {
        body: { user_id: 'alice' },
      });
      expect(session.status).toBe(201);
      const token: string = session.body.token;
      expect(session.body.expires_at).toBe('2026-11-15T13:00:00.000Z');

      expect((await harness().request('GET', '/v1/organizations/tenant_a', { token })).status).toBe(200);
      const other = await harness().request('GET', '/v1/organizations/tenant_b', { token });
      const missing = await harness().request('GET', '/v1/organizations/does_not_exist', { token });
      expect(other.status).toBe(404);
      expect(missing.status).toBe(404);
      expect(other.body.error.code).toBe(missing.body.error.code);
      expect((await harness().request('GET', '/v1/organizations/tenant_b/projects', { token })).status).toBe(
        404,
      );
      expect((await harness().request('GET', '/v1/organizations/tenant_b/audit-log', { token })).status).toBe(
        404,
      );
    });

    it('cannot call operator endpoints', async () => {
      await createOrganization('tenant_c');
      const { body } = await harness().request('POST', '/v1/organizations/tenant_c/sessions', { body: {} });
      const list = await harness().request('GET', '/v1/organizations', { token: body.token });
      expect(list.status).toBe(403);
      expect(list.body.error.code).toBe('forbidden');
      const patch = await harness().request('PATCH', '/v1/organizations/tenant_c', {
        token: body.token,
        body: { plan: 'enterprise' },
      });
      expect(patch.status).toBe(403);
      expect((await harness().request('GET', '/v1/organizations/tenant_c')).body.plan).toBe('free');
      expect(
        (await harness().request('POST', '/v1/api-keys', { token: body.token, body: { name: 'x' } })).status,
      ).toBe(403);
    });

    it('stop working when expired or forged', async () => {
      await createOrganization('tenant_d');
      const { body } = await harness().request('POST', '/v1/organizations/tenant_d/sessions', {
        body: { ttl_seconds: 60 },
      });
      const token: string = body.token;
      const [payload, signature] = token.slice('tg_st_'.length).split('.') as [string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      const forgedPayload = Buffer.from(JSON.stringify({ ...claims, org: 'tenant_a' })).toString('base64url');
      const forged = `tg_st_${forgedPayload}.${signature}`;
      expect((await harness().request('GET', '/v1/organizations/tenant_a', { token: forged })).status).toBe(
        401,
      );

      harness().clock.advance(61_000);
      try {
        const expired = await harness().request('GET', '/v1/organizations/tenant_d', { token });
        expect(expired.status).toBe(401);
        expect(expired.body.error.message).toContain('expired');
      } finally {
        harness().clock.advance(-61_000);
      }
    });

    it('cannot be minted for an unknown organization', async () => {
      const response = await harness().request('POST', '/v1/organizations/ghost/sessions', { body: {} });
      expect(response.status).toBe(404);
    });
  });
});
