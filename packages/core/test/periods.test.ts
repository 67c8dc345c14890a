import { describe, expect, it } from 'vitest';
import { addIntervals, calendarMonthContaining } from '../src/billing-period.js';
import { nextPeriod, periodContaining } from '../src/periods.js';

const at = (iso: string) => new Date(iso);
const iso = (period: { start: Date; end: Date }) => [period.start.toISOString(), period.end.toISOString()];

describe('addIntervals', () => {
  it('clamps to the month end and returns to the anchor day afterwards', () => {
    const anchor = at('2025-01-31T10:00:00.000Z');
    expect(addIntervals(anchor, 'month', 1).toISOString()).toBe('2025-02-28T10:00:00.000Z');
    expect(addIntervals(anchor, 'month', 2).toISOString()).toBe('2025-03-31T10:00:00.000Z');
    expect(addIntervals(anchor, 'month', 3).toISOString()).toBe('2025-04-30T10:00:00.000Z');
    expect(addIntervals(at('2024-01-31T00:00:00.000Z'), 'month', 1).toISOString()).toBe(
      '2024-02-29T00:00:00.000Z',
    );
  });

  it('moves across years in both directions', () => {
    expect(addIntervals(at('2025-11-15T00:00:00Z'), 'month', 3).toISOString()).toBe(
      '2026-02-15T00:00:00.000Z',
    );
    expect(addIntervals(at('2025-01-15T00:00:00Z'), 'month', -2).toISOString()).toBe(
      '2024-11-15T00:00:00.000Z',
    );
  });
});

describe('periodContaining', () => {
  const anchor = at('2025-01-31T10:00:00.000Z');

  it('gives the Feb period of a Jan 31 anchor ending on Mar 31', () => {
    expect(iso(periodContaining(anchor, 'month', at('2025-03-15T00:00:00Z')))).toEqual([
      '2025-02-28T10:00:00.000Z',
      '2025-03-31T10:00:00.000Z',
    ]);
  });

  it('treats the start instant as inside and the end instant as the next period', () => {
    const start = periodContaining(anchor, 'month', at('2025-02-28T10:00:00.000Z'));
    expect(start.start.toISOString()).toBe('2025-02-28T10:00:00.000Z');
    const justBefore = periodContaining(anchor, 'month', at('2025-02-28T09:59:59.999Z'));
    expect(iso(justBefore)).toEqual(['2025-01-31T10:00:00.000Z', '2025-02-28T10:00:00.000Z']);
  });

  it('uses the leap day in leap years', () => {
    const period = periodContaining(at('2023-12-31T00:00:00Z'), 'month', at('2024-03-01T00:00:00Z'));
    expect(iso(period)).toEqual(['2024-02-29T00:00:00.000Z', '2024-03-31T00:00:00.000Z']);
  });

  it('gives yearly anniversaries, clamping Feb 29 anchors to Feb 28', () => {
    const period = periodContaining(at('2024-02-29T12:00:00Z'), 'year', at('2025-06-01T00:00:00Z'));
    expect(iso(period)).toEqual(['2025-02-28T12:00:00.000Z', '2026-02-28T12:00:00.000Z']);
    const leap = periodContaining(at('2024-02-29T12:00:00Z'), 'year', at('2028-03-01T00:00:00Z'));
    expect(leap.start.toISOString()).toBe('2028-02-29T12:00:00.000Z');
  });

  it('contains now for every day of several years', () => {
    for (let day = 0; day < 3 * 366; day += 1) {
      const now = new Date(Date.UTC(2024, 0, 1, 5) + day * 86_400_000);
      for (const interval of ['month', 'year'] as const) {
        const period = periodContaining(anchor, interval, now);
        expect(period.start <= now && now < period.end).toBe(true);
        expect(nextPeriod(anchor, interval, period).start).toEqual(period.end);
      }
    }
  });
});

describe('calendarMonthContaining', () => {
  it('is the UTC calendar month', () => {
    expect(iso(calendarMonthContaining(at('2025-12-31T23:59:59.999Z')))).toEqual([
      '2025-12-01T00:00:00.000Z',
      '2026-01-01T00:00:00.000Z',
    ]);
    expect(iso(calendarMonthContaining(at('2024-02-01T00:00:00.000Z')))).toEqual([
      '2024-02-01T00:00:00.000Z',
      '2024-03-01T00:00:00.000Z',
    ]);
  });
});
