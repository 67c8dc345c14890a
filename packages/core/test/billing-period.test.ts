import { describe, expect, it } from 'vitest';
import { addIntervals, calendarMonthContaining } from '../src/billing-period.js';
import { periodContaining } from '../src/periods.js';

const at = (text: string) => new Date(text);

describe('billing periods', () => {
  it('takes the UTC calendar month containing now', () => {
    expect(calendarMonthContaining(at('2026-02-14T23:59:59.999Z'))).toEqual({
      start: at('2026-02-01T00:00:00Z'),
      end: at('2026-03-01T00:00:00Z'),
    });
    expect(calendarMonthContaining(at('2026-12-31T12:00:00Z')).end).toEqual(at('2027-01-01T00:00:00Z'));
  });

  it('clamps month-end anchors and returns to the anchor day', () => {
    const anchor = at('2026-01-31T10:00:00Z');
    expect(addIntervals(anchor, 'month', 1)).toEqual(at('2026-02-28T10:00:00Z'));
    expect(addIntervals(anchor, 'month', 2)).toEqual(at('2026-03-31T10:00:00Z'));
    expect(addIntervals(at('2028-02-29T00:00:00Z'), 'year', 1)).toEqual(at('2029-02-28T00:00:00Z'));
  });

  it('finds the anniversary period containing now', () => {
    const anchor = at('2026-01-31T10:00:00Z');
    expect(periodContaining(anchor, 'month', at('2026-03-15T00:00:00Z'))).toEqual({
      start: at('2026-02-28T10:00:00Z'),
      end: at('2026-03-31T10:00:00Z'),
    });
    // The boundary instant belongs to the next period.
    expect(periodContaining(anchor, 'month', at('2026-03-31T10:00:00Z')).start).toEqual(
      at('2026-03-31T10:00:00Z'),
    );
    expect(periodContaining(anchor, 'year', at('2027-01-31T09:59:59Z'))).toEqual({
      start: anchor,
      end: at('2027-01-31T10:00:00Z'),
    });
  });
});
