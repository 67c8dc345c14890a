import { describe, expect, it } from 'vitest';
import type { Aggregation } from '../src/catalog/schema.js';
import { foldEvents, type MeteredEvent, mergeMeterStates } from '../src/metering/aggregation.js';

const t = (minute: number) => new Date(Date.UTC(2025, 0, 1, 0, minute));
const events: MeteredEvent[] = [
  { quantity: 5, timestamp: t(1), uniqueValue: 'ann' },
  { quantity: '0.25', timestamp: t(4), uniqueValue: 'bob' },
  { quantity: 12, timestamp: t(2), uniqueValue: 'ann' },
  { quantity: 3, timestamp: t(3) },
];

describe('foldEvents', () => {
  const value = (aggregation: Aggregation) => foldEvents(aggregation, events).value.toFixed();

  it('sums quantities exactly', () => expect(value('sum')).toBe('20.25'));
  it('counts events', () => expect(value('count')).toBe('4'));
  it('keeps the maximum', () => expect(value('max')).toBe('12'));
  it('counts distinct values, ignoring events without one', () => expect(value('unique_count')).toBe('2'));
  it('keeps the quantity of the newest event, whatever the arrival order', () =>
    expect(value('latest')).toBe('0.25'));

  it('is zero with no events', () => {
    expect(foldEvents('sum', []).value.toFixed()).toBe('0');
    expect(foldEvents('latest', []).lastEventAt).toBeNull();
  });
});

describe('mergeMeterStates', () => {
  it('merging folds of two halves equals folding everything, for every aggregation', () => {
    const aggregations: Aggregation[] = ['sum', 'count', 'max', 'unique_count', 'latest'];
    for (const aggregation of aggregations) {
      for (let split = 0; split <= events.length; split += 1) {
        const merged = mergeMeterStates(
          aggregation,
          foldEvents(aggregation, events.slice(0, split)),
          foldEvents(aggregation, events.slice(split)),
        );
        expect(merged.value.toFixed(), `${aggregation} split at ${split}`).toBe(
          foldEvents(aggregation, events).value.toFixed(),
        );
      }
    }
  });

  it('keeps a stored latest value when the batch is older', () => {
    const stored = foldEvents('latest', [{ quantity: 7, timestamp: t(10) }]);
    const older = foldEvents('latest', [{ quantity: 1, timestamp: t(5) }]);
    expect(mergeMeterStates('latest', stored, older).value.toFixed()).toBe('7');
  });
});
