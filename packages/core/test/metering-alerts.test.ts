import { describe, expect, it } from 'vitest';
import { crossedThresholds, marksCrossed, thresholdMarks, usagePercent } from '../src/metering/alerts.js';

const thresholds = [80, 100, 120];

describe('crossedThresholds', () => {
  it('fires a threshold when usage reaches it exactly', () => {
    expect(crossedThresholds(thresholds, 1000, 799, 800)).toEqual([80]);
  });

  it('does not fire a threshold already passed before the change', () => {
    expect(crossedThresholds(thresholds, 1000, 800, 900)).toEqual([]);
  });

  it('fires every threshold one big change jumps over, in ascending order', () => {
    expect(crossedThresholds([120, 80, 100], 1000, 0, 5000)).toEqual([80, 100, 120]);
  });

  it('handles fractional marks exactly', () => {
    expect(crossedThresholds([80], 3, '2.3', '2.4')).toEqual([80]);
    expect(crossedThresholds([80], 3, '2.39', '2.399')).toEqual([]);
  });

  it('has nothing to cross without a positive limit or when usage does not grow', () => {
    expect(crossedThresholds(thresholds, null, 0, 10)).toEqual([]);
    expect(crossedThresholds(thresholds, 0, 0, 10)).toEqual([]);
    expect(crossedThresholds(thresholds, 100, 90, 50)).toEqual([]);
  });
});

describe('usagePercent', () => {
  it('is rounded to two decimals and null without a limit', () => {
    expect(usagePercent(3, 1)?.toFixed()).toBe('33.33');
    expect(usagePercent(null, 1)).toBeNull();
  });
});

describe('thresholdMarks and marksCrossed', () => {
  it('computes each threshold once, ascending, as usage of the limit', () => {
    const marks = thresholdMarks([100, 80, 80, 120], 250);
    expect(marks.map(({ threshold, mark }) => [threshold, mark.toFixed()])).toEqual([
      [80, '200'],
      [100, '250'],
      [120, '300'],
    ]);
  });

  it('answers as crossedThresholds does for the same change', () => {
    const marks = thresholdMarks(thresholds, 1000);
    for (const [before, after] of [
      [0, 799],
      [799, 800],
      [800, 900],
      [0, 5000],
      [1000, 1199],
      [90, 50],
    ] as const) {
      expect(marksCrossed(marks, before, after)).toEqual(crossedThresholds(thresholds, 1000, before, after));
    }
    expect(marksCrossed(marks, 0, 1200)).toEqual([80, 100, 120]);
  });

  it('has no marks without a positive limit', () => {
    expect(thresholdMarks(thresholds, null)).toEqual([]);
    expect(thresholdMarks(thresholds, '0')).toEqual([]);
    expect(marksCrossed([], 0, 10)).toEqual([]);
  });
});
