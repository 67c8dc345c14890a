import type { SuiteOptions } from 'vitest';

declare module 'vitest' {
  interface TaskMeta {
    /** Why the suite is skipped when its precondition does not hold (see `skipUnless`). */
    skipReason?: string;
  }
}

/**
 * Options for a `describe` that needs something the machine may not have (a PostgreSQL server, a
 * browser, a reference file outside the repository). When `available` is falsy the suite is skipped,
 * and the run's summary lists it with `reason` (skip-summary-reporter.ts), instead of skipping in
 * silence:
 *
 *   describe('title', skipUnless(testDatabaseUrl, 'needs PostgreSQL: set TEST_DATABASE_URL'), () => { … });
 */
export function skipUnless(available: unknown, reason: string): SuiteOptions {
  // The reason is recorded only when it applies, so a test left out by a name filter is not listed.
  return available ? {} : { skip: true, meta: { skipReason: reason } };
}
