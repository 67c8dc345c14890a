import type { Reporter, TestModule, TestSuite, Vitest } from 'vitest/node';
import './skips.js';

/**
 * Prints, at the end of a run, every suite that was skipped and why: the reason declared with
 * `skipUnless` (skips.ts), or "no reason declared" for a suite skipped some other way; and every
 * single test skipped with `skipUnless`. Suites left out by a name filter (`-t`) are not listed.
 */
export default class SkipSummaryReporter implements Reporter {
  private vitest: Vitest | undefined;

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const filtered = Boolean(this.vitest?.config.testNamePattern);
    const lines: string[] = [];
    for (const module of testModules) {
      for (const suite of module.children.allSuites()) {
        if (suite.state() !== 'skipped' || skippedAbove(suite)) continue;
        // A suite all of whose tests were skipped with one reason is skipped for that reason.
        const reason = suite.meta().skipReason ?? sharedTestReason(suite);
        if (reason === undefined && filtered) continue;
        const tests = [...suite.children.allTests()].length;
        lines.push(
          `  ${module.relativeModuleId} > ${suite.fullName} (${tests} test${tests === 1 ? '' : 's'}): ${reason ?? 'no reason declared'}`,
        );
      }
      // A single test skipped with `skipUnless` in a suite that runs.
      for (const test of module.children.allTests()) {
        const reason = test.meta().skipReason;
        if (reason === undefined || test.result().state !== 'skipped') continue;
        if (test.parent.type === 'suite' && test.parent.state() === 'skipped') continue;
        lines.push(`  ${module.relativeModuleId} > ${test.fullName}: ${reason}`);
      }
    }
    if (lines.length === 0) return;
    const log = (text: string) => (this.vitest ? this.vitest.logger.log(text) : console.log(text));
    log(`\nSkipped suites and tests (${lines.length}):\n${lines.join('\n')}\n`);
  }
}

const skippedAbove = (suite: TestSuite) =>
  suite.parent.type === 'suite' && suite.parent.state() === 'skipped';

const sharedTestReason = (suite: TestSuite) => {
  const reasons = new Set([...suite.children.allTests()].map((test) => test.meta().skipReason));
  const [reason] = reasons;
  return reasons.size === 1 ? reason : undefined;
};
