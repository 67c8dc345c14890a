import { describe, expect, it } from 'vitest';
import { Decimal, planExpiry, planSubscriptionAllocation } from '../../src/index.js';
import { lot, movements, now } from './lots.js';

describe('planExpiry', () => {
  it('expires what is left of lots past expires_at, including one expiring exactly now', () => {
    const lots = [
      lot('past', 'subscription', 30, { expires_in_days: -1 }),
      { ...lot('edge', 'promotional', 2), expires_at: now },
      lot('future', 'subscription', 5, { expires_in_days: 1 }),
      lot('never', 'purchased', 7),
      lot('spent', 'subscription', 0, { expires_in_days: -1 }),
    ];
    expect(movements(planExpiry(lots, now))).toEqual([
      ['past', '30'],
      ['edge', '2'],
    ]);
  });
});

describe('planSubscriptionAllocation', () => {
  const period = { start: new Date('2026-03-01T00:00:00Z'), end: new Date('2026-04-01T00:00:00Z') };

  it('grants the allowance at the start of the period, expiring at its end, once per period', () => {
    const grant = planSubscriptionAllocation({
      subscription_id: 'sub_1',
      credits_per_period: 10_000,
      period,
    });
    expect(grant).toEqual({
      amount: new Decimal(10_000),
      granted_at: period.start,
      expires_at: period.end,
      idempotency_key: 'subscription:sub_1:2026-03-01T00:00:00.000Z',
    });
    const next = planSubscriptionAllocation({
      subscription_id: 'sub_1',
      credits_per_period: 10_000,
      period: { start: period.end, end: new Date('2026-05-01T00:00:00Z') },
    });
    expect(next?.idempotency_key).not.toBe(grant?.idempotency_key);
  });

  it('grants nothing for a plan without credits or an empty period', () => {
    expect(planSubscriptionAllocation({ subscription_id: 's', credits_per_period: 0, period })).toBeNull();
    expect(
      planSubscriptionAllocation({
        subscription_id: 's',
        credits_per_period: 5,
        period: { start: period.end, end: period.start },
      }),
    ).toBeNull();
  });
});
