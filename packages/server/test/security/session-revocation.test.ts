import { demoCatalog } from '@tollgate/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipUnless } from '../../../../test-support/skips.js';
import type { Tollgate } from '../../src/tollgate.js';
import { NEEDS_POSTGRES, testDatabaseUrl } from '../support/databases.js';
import { describeEachDatabase } from '../support/harness.js';
import { startProcessesOnOneDatabase, statusOnceHeard } from '../support/processes.js';

describeEachDatabase('revoking organization session tokens', (harness) => {
  const createOrganization = (id: string) =>
    harness().request('POST', '/v1/organizations', { body: { id, name: id } });
  const mintSession = async (organizationId: string) =>
    (await harness().request('POST', `/v1/organizations/${organizationId}/sessions`, { body: {} })).body
      .token as string;
  const readOwnOrganization = (organizationId: string, token: string) =>
    harness().request('GET', `/v1/organizations/${organizationId}`, { token });

  it('DELETE …/sessions revokes every token minted so far, and tokens minted afterwards work', async () => {
    await createOrganization('revoke_a');
    const first = await mintSession('revoke_a');
    const second = await mintSession('revoke_a');
    expect((await readOwnOrganization('revoke_a', first)).status).toBe(200);

    const revoked = await harness().request('DELETE', '/v1/organizations/revoke_a/sessions');
    expect(revoked.status).toBe(200);
    expect(revoked.body).toEqual({
      organization_id: 'revoke_a',
      revoked_at: harness().clock.now.toISOString(),
    });

    for (const token of [first, second]) {
      const answer = await readOwnOrganization('revoke_a', token);
      expect(answer.status).toBe(401);
      expect(answer.body.error).toMatchObject({ code: 'unauthenticated', message: 'Session token revoked' });
    }
    // Same clock instant as the revocation: a generation, not a timestamp, tells them apart.
    const fresh = await mintSession('revoke_a');
    expect((await readOwnOrganization('revoke_a', fresh)).status).toBe(200);

    const audit = await harness().request('GET', '/v1/organizations/revoke_a/audit-log');
    expect(audit.body.data.map((entry: { action: string }) => entry.action)).toContain('sessions.revoked');
  });

  it("leaves other organizations' tokens working", async () => {
    await createOrganization('revoke_b');
    await createOrganization('revoke_c');
    const tokenOfB = await mintSession('revoke_b');
    const tokenOfC = await mintSession('revoke_c');
    await harness().request('DELETE', '/v1/organizations/revoke_b/sessions');
    expect((await readOwnOrganization('revoke_b', tokenOfB)).status).toBe(401);
    expect((await readOwnOrganization('revoke_c', tokenOfC)).status).toBe(200);
  });

  it('lets a session sign its own organization out, and no other', async () => {
    await createOrganization('revoke_d');
    await createOrganization('revoke_e');
    const tokenOfD = await mintSession('revoke_d');
    const tokenOfE = await mintSession('revoke_e');
    const elsewhere = await harness().request('DELETE', '/v1/organizations/revoke_e/sessions', {
      token: tokenOfD,
    });
    expect(elsewhere.status).toBe(404);
    expect((await readOwnOrganization('revoke_e', tokenOfE)).status).toBe(200);
    const own = await harness().request('DELETE', '/v1/organizations/revoke_d/sessions', { token: tokenOfD });
    expect(own.status).toBe(200);
    expect((await readOwnOrganization('revoke_d', tokenOfD)).status).toBe(401);
  });

  it('answers 404 for an unknown organization and 401 without a key', async () => {
    const unknown = await harness().request('DELETE', '/v1/organizations/no_such_org/sessions');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    const anonymous = await harness().request('DELETE', '/v1/organizations/no_such_org/sessions', {
      token: null,
    });
    expect(anonymous.status).toBe(401);
  });

  it('rejects a token whose generation was tampered with (the signature covers it)', async () => {
    await createOrganization('revoke_f');
    const token = await mintSession('revoke_f');
    await harness().request('DELETE', '/v1/organizations/revoke_f/sessions');
    const [payload, signature] = token.slice('tg_st_'.length).split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    expect(claims.gen).toBe(0);
    const bumped = Buffer.from(JSON.stringify({ ...claims, gen: 1 })).toString('base64url');
    expect((await readOwnOrganization('revoke_f', `tg_st_${bumped}.${signature}`)).status).toBe(401);
  });
});

// Two server processes on one PostgreSQL database, each remembering generations in its memory.
describe(
  'session tokens revoked through one process [postgres]',
  skipUnless(testDatabaseUrl, NEEDS_POSTGRES),
  () => {
    let started: Awaited<ReturnType<typeof startProcessesOnOneDatabase>>;
    beforeAll(async () => {
      started = await startProcessesOnOneDatabase(2, demoCatalog);
    });
    afterAll(async () => started?.stop());

    it('stop working in the other process too, which remembered the organization', async () => {
      const { call } = started;
      const [first, second] = started.processes as [Tollgate, Tollgate];
      expect((await call(first, 'POST', '/v1/organizations', { id: 'shared_org', name: 'S' })).status).toBe(
        201,
      );
      const token = (await call(first, 'POST', '/v1/organizations/shared_org/sessions', {})).body
        .token as string;
      // Twice on the second process: the second is answered from its memory of the generation.
      expect((await call(second, 'GET', '/v1/organizations/shared_org', undefined, token)).status).toBe(200);
      expect((await call(second, 'GET', '/v1/organizations/shared_org', undefined, token)).status).toBe(200);
      expect((await call(first, 'DELETE', '/v1/organizations/shared_org/sessions')).status).toBe(200);
      expect((await call(first, 'GET', '/v1/organizations/shared_org', undefined, token)).status).toBe(401);
      const heard = await statusOnceHeard(
        async () => (await call(second, 'GET', '/v1/organizations/shared_org', undefined, token)).status,
        200,
      );
      expect(heard).toBe(401);
      const fresh = (await call(second, 'POST', '/v1/organizations/shared_org/sessions', {})).body
        .token as string;
      expect((await call(first, 'GET', '/v1/organizations/shared_org', undefined, fresh)).status).toBe(200);
    });
  },
);
