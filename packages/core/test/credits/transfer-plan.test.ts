import { describe, expect, it } from 'vitest';
import { Decimal, planTransfer, transferDayStart } from '../../src/index.js';
import { lot, movements, now } from './lots.js';

const amount = (value: string | number) => new Decimal(value);
const base = { now, precedence: 'purchased_first' as const, dailyLimit: null, transferredToday: amount(0) };

describe('planTransfer', () => {
  it('refuses when only subscription credits remain (the issue scenario)', () => {
    const lots = [lot('buy', 'purchased', 0), lot('sub', 'subscription', 30, { expires_in_days: 10 })];
    const plan = planTransfer({ ...base, lots, amount: amount(10) });
    expect(plan).toEqual({
      allowed: false,
      code: 'insufficient_transferable_credits',
      amount: amount(10),
      transferable: amount(0),
    });
  });

  it('gives purchased credits and leaves subscription credits alone', () => {
    const lots = [lot('sub', 'subscription', 30, { expires_in_days: 10 }), lot('buy', 'purchased', 40)];
    const plan = planTransfer({ ...base, lots, amount: amount(10) });
    expect(plan.allowed).toBe(true);
    if (!plan.allowed) return;
    expect(movements(plan.pieces)).toEqual([['buy', '10']]);
    expect(plan.receiver_lots).toEqual([{ amount: amount(10), expires_at: null }]);
  });

  it('may give promotional and received transfer credits, never more than those', () => {
    const lots = [
      lot('promo', 'promotional', 5, { expires_in_days: 3 }),
      lot('got', 'transfer', 5),
      lot('sub', 'subscription', 100),
    ];
    expect(planTransfer({ ...base, lots, amount: amount(11) })).toMatchObject({
      allowed: false,
      transferable: amount(10),
    });
    const plan = planTransfer({ ...base, lots, amount: amount(10) });
    expect(plan.allowed && movements(plan.pieces)).toEqual([
      ['got', '5'],
      ['promo', '5'],
    ]);
  });

  it('keeps the expiry of what was given: one receiver lot per expiry', () => {
    const lots = [
      lot('promo-a', 'promotional', 3, { expires_in_days: 3 }),
      lot('promo-b', 'promotional', 2, { expires_in_days: 3, granted_days_ago: 0 }),
      lot('promo-c', 'promotional', 4, { expires_in_days: 7 }),
    ];
    const plan = planTransfer({ ...base, lots, amount: amount(8) });
    expect(plan.allowed).toBe(true);
    if (!plan.allowed) return;
    expect(plan.receiver_lots.map((receiver) => [receiver.amount.toFixed(), receiver.expires_at])).toEqual([
      ['5', lots[0]?.expires_at],
      ['3', lots[2]?.expires_at],
    ]);
  });

  it('never gives expired credits', () => {
    const lots = [lot('old', 'purchased', 50, { expires_in_days: -1 })];
    expect(planTransfer({ ...base, lots, amount: amount(1) })).toMatchObject({
      allowed: false,
      transferable: amount(0),
    });
  });

  it('enforces the daily limit against what was already given today', () => {
    const lots = [lot('buy', 'purchased', 1000)];
    const limited = { ...base, lots, dailyLimit: amount(100), transferredToday: amount(70) };
    expect(planTransfer({ ...limited, amount: amount(30) }).allowed).toBe(true);
    expect(planTransfer({ ...limited, amount: amount(31) })).toEqual({
      allowed: false,
      code: 'daily_transfer_limit_exceeded',
      amount: amount(31),
      remaining_today: amount(30),
    });
    expect(planTransfer({ ...limited, transferredToday: amount(120), amount: amount(1) })).toMatchObject({
      remaining_today: amount(0),
    });
  });

  it('counts the day in UTC', () => {
    expect(transferDayStart(new Date('2026-03-15T23:59:59.999Z')).toISOString()).toBe(
      '2026-03-15T00:00:00.000Z',
    );
  });
});
