import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Every skipped suite is named at the end of the run, with its reason (test-support/skips.ts).
    reporters: ['default', './test-support/skip-summary-reporter.ts'],
  },
});
