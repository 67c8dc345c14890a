import { Catalog, type CatalogInput, demoCatalog } from '@tollgate/core';
import { afterAll, beforeAll, describe } from 'vitest';
import { createTollgate, type Tollgate, type TollgateOptions } from '../../src/tollgate.js';
import { createScratchDatabase, type DatabaseTarget, databaseTargets } from './databases.js';

export const TEST_ADMIN_KEY = 'tg_sk_test_admin_key_for_integration_tests_only';

export type InjectOptions = { body?: unknown; token?: string | null; headers?: Record<string, string> };
export type TestResponse<T = any> = { status: number; body: T; headers: Record<string, unknown> };

export type Harness = {
  target: DatabaseTarget;
  tollgate: Tollgate;
  /** The test clock; move it with `clock.set` or `clock.advance`. */
  clock: { now: Date; set(date: Date | string): void; advance(milliseconds: number): void };
  request<T = any>(method: string, url: string, options?: InjectOptions): Promise<TestResponse<T>>;
};

export type HarnessOptions = {
  catalog?: CatalogInput;
  startAt?: string;
  tollgate?: Partial<Omit<TollgateOptions, 'catalog' | 'adminKey'>>;
};

/** Starts a Tollgate on the given database kind; the PostgreSQL one gets its own scratch database. */
export async function startHarness(target: DatabaseTarget, options: HarnessOptions = {}) {
  const scratch = target.name === 'postgres' ? await createScratchDatabase() : undefined;
  const clock = {
    now: new Date(options.startAt ?? '2026-11-15T12:00:00.000Z'),
    set(date: Date | string) {
      clock.now = new Date(date);
    },
    advance(milliseconds: number) {
      clock.now = new Date(clock.now.getTime() + milliseconds);
    },
  };
  const tollgate = await createTollgate({
    databaseUrl: scratch?.url,
    pgliteDir: null,
    catalog: Catalog.from(options.catalog ?? demoCatalog),
    adminKey: TEST_ADMIN_KEY,
    now: () => clock.now,
    // Unexpected faults (500s) show up in the test output; expected 4xx do not.
    logger: { level: 'error' },
    // Tests share one address and a few organizations; rate-limits.test.ts turns the limits on.
    rateLimits: {
      windowSeconds: 60,
      failedAuthenticationsPerAddress: 0,
      sessionRequestsPerOrganization: 0,
      billingSessionsPerOrganization: 0,
    },
    ...options.tollgate,
  });
  const harness: Harness = {
    target,
    tollgate,
    clock,
    async request(method, url, requestOptions = {}) {
      const token = requestOptions.token === undefined ? TEST_ADMIN_KEY : requestOptions.token;
      const response = await tollgate.app.inject({
        method: method as 'GET',
        url,
        headers: {
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
          ...requestOptions.headers,
        },
        ...(requestOptions.body === undefined ? {} : { payload: requestOptions.body as object }),
      });
      const text = response.body;
      return {
        status: response.statusCode,
        body: text && response.headers['content-type']?.toString().includes('json') ? JSON.parse(text) : text,
        headers: response.headers,
      };
    },
  };
  return {
    harness,
    async stop() {
      await tollgate.close();
      await scratch?.drop();
    },
  };
}

/**
 * Runs the block once per database (PGlite always, PostgreSQL when TEST_DATABASE_URL is set), with a
 * started Tollgate. Read `harness()` inside tests and hooks.
 */
export function describeEachDatabase(
  title: string,
  body: (harness: () => Harness) => void,
  options: HarnessOptions = {},
) {
  for (const target of databaseTargets) {
    describe(`${title} [${target.name}]`, () => {
      let started: Awaited<ReturnType<typeof startHarness>> | undefined;
      beforeAll(async () => {
        started = await startHarness(target, options);
      });
      afterAll(async () => {
        await started?.stop();
      });
      body(() => {
        if (!started) throw new Error('the harness has not started');
        return started.harness;
      });
    });
  }
}
