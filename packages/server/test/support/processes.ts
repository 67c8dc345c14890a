import { Catalog, type CatalogInput } from '@tollgate/core';
import { createTollgate, type Tollgate } from '../../src/tollgate.js';
import { createScratchDatabase } from './databases.js';
import { TEST_ADMIN_KEY } from './harness.js';

type ProcessCall = (
  tollgate: Tollgate,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  body?: object,
  key?: string,
) => Promise<{ status: number; body: any }>;

/**
 * Several Tollgate servers on one scratch PostgreSQL database, as a scaled-out deployment runs them
 * (each its own pool, LISTEN connection and remembered state), and a way to call any of them.
 */
export async function startProcessesOnOneDatabase(count: number, catalog: CatalogInput) {
  const scratch = await createScratchDatabase();
  const processes: Tollgate[] = [];
  for (let index = 0; index < count; index += 1) {
    processes.push(
      await createTollgate({
        databaseUrl: scratch.url,
        catalog: Catalog.from(catalog),
        adminKey: TEST_ADMIN_KEY,
      }),
    );
  }
  const call: ProcessCall = async (tollgate, method, url, body, key = TEST_ADMIN_KEY) => {
    const response = await tollgate.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${key}` },
      ...(body && { payload: body }),
    });
    return { status: response.statusCode, body: response.json() };
  };
  return {
    processes,
    call,
    async stop() {
      for (const tollgate of processes) await tollgate.close();
      await scratch.drop();
    },
  };
}

/**
 * What another process answers once a change made elsewhere reaches it through NOTIFY: asks again
 * every 20 ms, at most 100 times, while the answer is still `stale`; returns the last answer.
 */
export async function statusOnceHeard(status: () => Promise<number>, stale: number): Promise<number> {
  let answer = await status();
  for (let attempt = 0; attempt < 100 && answer === stale; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    answer = await status();
  }
  return answer;
}
