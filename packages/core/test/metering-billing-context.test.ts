import { describe, expect, it } from 'vitest';
import {
  type BillingContext,
  billingPeriodAt,
  counterPeriodAt,
  isSubscriptionActive,
} from '../src/metering/billing-context.js';
import { eventTimestamp } from '../src/metering/event-timing.js';
import { ALL_TIME } from '../src/periods.js';

const now = new Date('2025-03-15T12:00:00.000Z');

describe('billing periods of an organization', () => {
  it('uses calendar months without a subscription anchor', () => {
    const free: BillingContext = { planCode: 'free', status: null, interval: null, anchor: null };
    expect(billingPeriodAt(free, now).start.toISOString()).toBe('2025-03-01T00:00:00.000Z');
  });

  it('uses the anniversary period for a subscription', () => {
    const standard: BillingContext = {
      planCode: 'standard',
      status: 'active',
      interval: 'month',
      anchor: new Date('2025-01-31T08:00:00.000Z'),
    };
    expect(billingPeriodAt(standard, now).start.toISOString()).toBe('2025-02-28T08:00:00.000Z');
    expect(counterPeriodAt('never', standard, now)).toBe(ALL_TIME);
  });

  it('keeps access on past_due and removes it on canceled, expired and incomplete', () => {
    expect(['trialing', 'active', 'past_due'].every((status) => isSubscriptionActive(status as never))).toBe(
      true,
    );
    expect(
      ['canceled', 'expired', 'incomplete'].some((status) => isSubscriptionActive(status as never)),
    ).toBe(false);
    expect(isSubscriptionActive(null)).toBe(true);
  });
});

describe('eventTimestamp', () => {
  it('defaults to now and reads ISO 8601 and epoch milliseconds', () => {
    expect(eventTimestamp(undefined, now)).toEqual({ ok: true, timestamp: now });
    expect(eventTimestamp('2025-03-15T11:00:00+01:00', now)).toMatchObject({ ok: true });
    expect(eventTimestamp(now.getTime() - 1000, now)).toMatchObject({ ok: true });
  });

  it('rejects text without a zone, garbage and fractional epochs', () => {
    expect(eventTimestamp('2025-03-15T11:00:00', now)).toMatchObject({
      ok: false,
      code: 'invalid_timestamp',
    });
    expect(eventTimestamp('yesterday', now)).toMatchObject({ ok: false, code: 'invalid_timestamp' });
    expect(eventTimestamp(1.5, now)).toMatchObject({ ok: false, code: 'invalid_timestamp' });
    expect(eventTimestamp('2025-02-30T00:00:00Z', now)).toMatchObject({
      ok: false,
      code: 'invalid_timestamp',
    });
  });

  it('accepts 35 days back and 5 minutes ahead, not beyond', () => {
    const day = 86_400_000;
    expect(eventTimestamp(now.getTime() - 35 * day, now)).toMatchObject({ ok: true });
    expect(eventTimestamp(now.getTime() - 35 * day - 1, now)).toMatchObject({
      ok: false,
      code: 'timestamp_too_old',
    });
    expect(eventTimestamp(now.getTime() + 300_000, now)).toMatchObject({ ok: true });
    expect(eventTimestamp(now.getTime() + 300_001, now)).toMatchObject({
      ok: false,
      code: 'timestamp_in_future',
    });
    expect(eventTimestamp(now.getTime() - 2 * day, now, { maxAgeMs: day, maxFutureMs: 0 })).toMatchObject({
      ok: false,
      code: 'timestamp_too_old',
    });
  });
});

describe('stored current period', () => {
  it('wins for instants inside it; the anchor decides outside it', () => {
    const context: BillingContext = {
      planCode: 'standard',
      status: 'active',
      interval: 'month',
      anchor: new Date('2025-03-10T00:00:00.000Z'),
      currentPeriod: {
        start: new Date('2025-03-10T00:00:00.000Z'),
        end: new Date('2025-04-12T00:00:00.000Z'),
      },
    };
    expect(billingPeriodAt(context, new Date('2025-04-11T00:00:00.000Z')).end.toISOString()).toBe(
      '2025-04-12T00:00:00.000Z',
    );
    expect(billingPeriodAt(context, new Date('2025-03-01T00:00:00.000Z')).start.toISOString()).toBe(
      '2025-02-10T00:00:00.000Z',
    );
  });
});
