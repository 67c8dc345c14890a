import { Catalog, demoCatalog } from '@tollgate/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTollgate, type Tollgate } from '../src/tollgate.js';
import { createScratchDatabase, testDatabaseUrl } from './support/databases.js';
import { TEST_ADMIN_KEY } from './support/harness.js';

async function call(
  tollgate: Tollgate,
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  key: string,
  body?: object,
) {
  const response = await tollgate.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${key}` },
    ...(body && { payload: body }),
  });
  return { status: response.statusCode, body: response.json() };
}

// Two server processes on one PostgreSQL database, as a scaled-out deployment runs them.
describe.skipIf(!testDatabaseUrl)('a key revoked through one process [postgres]', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let first: Tollgate;
  let second: Tollgate;
  beforeAll(async () => {
    scratch = await createScratchDatabase();
    const options = {
      databaseUrl: scratch.url,
      catalog: Catalog.from(demoCatalog),
      adminKey: TEST_ADMIN_KEY,
    };
    first = await createTollgate(options);
    second = await createTollgate(options);
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
    await scratch?.drop();
  });

  it('stops working in the other process too, which had it in memory', async () => {
    const created = await call(first, 'POST', '/v1/api-keys', TEST_ADMIN_KEY, { name: 'shared' });
    expect(created.status).toBe(201);
    const secret = created.body.secret as string;
    // Used twice on the second process: the second use is answered from its memory.
    expect((await call(second, 'GET', '/v1/plans', secret)).status).toBe(200);
    expect((await call(second, 'GET', '/v1/plans', secret)).status).toBe(200);
    expect((await call(first, 'DELETE', `/v1/api-keys/${created.body.id}`, TEST_ADMIN_KEY)).status).toBe(200);
    // The revoking process refuses it on the very next request.
    expect((await call(first, 'GET', '/v1/plans', secret)).status).toBe(401);
    // The other one as soon as the notification arrives (on loopback, within milliseconds).
    let status = 200;
    for (let attempt = 0; attempt < 100 && status === 200; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      status = (await call(second, 'GET', '/v1/plans', secret)).status;
    }
    expect(status).toBe(401);
  });
});
