import { describe, expect, it } from 'vitest';
import type { Aggregation } from '../src/catalog/schema.js';
import { toDecimal } from '../src/decimal.js';
import {
  accumulateEvent,
  foldEvents,
  type MeteredEvent,
  mergeMeterStates,
  usageAfterDelta,
} from '../src/metering/aggregation.js';

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

describe('accumulateEvent', () => {
  it('folds in place exactly like foldEvents, for every aggregation', () => {
    const aggregations: Aggregation[] = ['sum', 'count', 'max', 'unique_count', 'latest'];
    for (const aggregation of aggregations) {
      const accumulator = {
        value: foldEvents(aggregation, []).value,
        lastEventAt: null,
        seen: new Set<string>(),
      };
      for (const event of events) accumulateEvent(aggregation, accumulator, event);
      const folded = foldEvents(aggregation, events);
      expect(accumulator.value.toFixed(), aggregation).toBe(folded.value.toFixed());
      expect(accumulator.lastEventAt, aggregation).toEqual(folded.lastEventAt);
    }
  });
});

describe('usageAfterDelta', () => {
  const after = (aggregation: Aggregation, used: string, delta: string) =>
    usageAfterDelta(aggregation, toDecimal(used), toDecimal(delta))?.toFixed();

  it('adds the delta of additive counters exactly', () => {
    expect(after('sum', '0.1', '0.2')).toBe('0.3');
    expect(after('count', '41', '1')).toBe('42');
    expect(after('unique_count', '3', '2')).toBe('5');
  });
  it('keeps the larger for max, so the order deltas commit in does not matter', () => {
    expect(after('max', '7', '5')).toBe('7');
    expect(after('max', '7', '9.5')).toBe('9.5');
  });
  it('cannot say what a latest counter holds', () => expect(after('latest', '7', '5')).toBeUndefined());
});
