import { demoCatalog } from '@tollgate/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipUnless } from '../../../test-support/skips.js';
import type { Tollgate } from '../src/tollgate.js';
import { NEEDS_POSTGRES, testDatabaseUrl } from './support/databases.js';
import { startProcessesOnOneDatabase, statusOnceHeard } from './support/processes.js';

// Two server processes on one PostgreSQL database, as a scaled-out deployment runs them.
describe('a key revoked through one process [postgres]', skipUnless(testDatabaseUrl, NEEDS_POSTGRES), () => {
  let started: Awaited<ReturnType<typeof startProcessesOnOneDatabase>>;
  beforeAll(async () => {
    started = await startProcessesOnOneDatabase(2, demoCatalog);
  });
  afterAll(async () => started?.stop());

  it('stops working in the other process too, which had it in memory', async () => {
    const { call } = started;
    const [first, second] = started.processes as [Tollgate, Tollgate];
    const created = await call(first, 'POST', '/v1/api-keys', { name: 'shared' });
    expect(created.status).toBe(201);
    const secret = created.body.secret as string;
    // Used twice on the second process: the second use is answered from its memory.
    expect((await call(second, 'GET', '/v1/plans', undefined, secret)).status).toBe(200);
    expect((await call(second, 'GET', '/v1/plans', undefined, secret)).status).toBe(200);
    expect((await call(first, 'DELETE', `/v1/api-keys/${created.body.id}`)).status).toBe(200);
    // The revoking process refuses it on the very next request.
    expect((await call(first, 'GET', '/v1/plans', undefined, secret)).status).toBe(401);
    // The other one as soon as the notification arrives (on loopback, within milliseconds).
    const heard = await statusOnceHeard(
      async () => (await call(second, 'GET', '/v1/plans', undefined, secret)).status,
      200,
    );
    expect(heard).toBe(401);
  });
});
