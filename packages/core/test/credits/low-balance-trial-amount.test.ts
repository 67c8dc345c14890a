import { describe, expect, it } from 'vitest';
import {
  armedAfterThresholdChange,
  Catalog,
  creditCost,
  Decimal,
  decideTrialUse,
  demoCatalog,
  evaluateLowBalance,
  parseCreditAmount,
  summarizeBalance,
  trialStanding,
} from '../../src/index.js';
import { day, lot, now } from './lots.js';

const d = (value: string | number) => new Decimal(value);

describe('evaluateLowBalance', () => {
  it('fires once on falling below, re-arms only after a top-up to the threshold', () => {
    const threshold = d(1000);
    let armed = false;
    const fired: number[] = [];
    for (const balance of [0, 500, 1200, 999, 800, 100, 999, 1000, 700, 1500, 2000, 10]) {
      const decision = evaluateLowBalance({ armed, threshold, balance: d(balance) });
      if (decision.notify) fired.push(balance);
      armed = decision.armed;
    }
    expect(fired).toEqual([999, 700, 10]);
  });
});

describe('decideTrialUse', () => {
  it('allows up to the limit, then answers trial_exhausted without counting', () => {
    expect(decideTrialUse({ used: d(2), limit: d(3), quantity: d(1) })).toEqual({
      allowed: true,
      used: d(3),
      remaining: d(0),
      limit: d(3),
    });
    expect(decideTrialUse({ used: d(3), limit: d(3), quantity: d(1) })).toEqual({
      allowed: false,
      reason: 'trial_exhausted',
      used: d(3),
      remaining: d(0),
      limit: d(3),
    });
    expect(decideTrialUse({ used: d(1), limit: d(3), quantity: d(5) })).toMatchObject({
      allowed: false,
      remaining: d(2),
    });
  });
});

describe('parseCreditAmount and creditCost', () => {
  const catalog = Catalog.from(demoCatalog);

  it('accepts positive whole amounts and refuses zero, negatives, fractions and junk', () => {
    expect(parseCreditAmount('40', true)).toEqual({ valid: true, amount: d(40) });
    expect(parseCreditAmount(0, true)).toMatchObject({ valid: false, code: 'invalid_amount' });
    expect(parseCreditAmount(-5, true)).toMatchObject({ valid: false, code: 'invalid_amount' });
    expect(parseCreditAmount('1.5', true)).toMatchObject({ valid: false, code: 'fractional_amount' });
    expect(parseCreditAmount('1.5', false)).toEqual({ valid: true, amount: d('1.5') });
    expect(parseCreditAmount('1e3', true)).toMatchObject({ valid: false, code: 'invalid_amount' });
  });

  it('prices a credit event as credits × quantity, exactly', () => {
    const inference = catalog.creditEvent('ai_inference')?.credits;
    expect(creditCost(inference, 'ai_inference', 3, true)).toMatchObject({ valid: true, cost: d(75) });
    const storage = catalog.creditEvent('storage_gb_month')?.credits;
    expect(creditCost(storage, 'storage_gb_month', '0.5', true)).toMatchObject({ cost: d(5) });
    expect(creditCost(storage, 'storage_gb_month', '0.05', true)).toMatchObject({
      valid: false,
      code: 'fractional_amount',
    });
    expect(creditCost('0.1', 'x', '3', false)).toMatchObject({ cost: d('0.3') });
    expect(creditCost(undefined, 'nope', 1, true)).toMatchObject({ code: 'unknown_credit_event' });
    expect(creditCost(inference, 'ai_inference', 0, true)).toMatchObject({ code: 'invalid_quantity' });
  });
});

describe('summarizeBalance', () => {
  it('counts live lots by source and lists those expiring within the window', () => {
    const lots = [
      lot('buy', 'purchased', 100),
      lot('sub', 'subscription', 30, { expires_in_days: 3 }),
      lot('promo', 'promotional', 5, { expires_in_days: 60 }),
      lot('gone', 'subscription', 999, { expires_in_days: -1 }),
    ];
    const summary = summarizeBalance(lots, now, 7 * day);
    expect(summary.balance).toEqual(d(135));
    expect(summary.by_source.subscription).toEqual(d(30));
    expect(summary.by_source.transfer).toEqual(d(0));
    expect(summary.expiring_soon.map((entry) => entry.lot_id)).toEqual(['sub']);
  });
});

describe('rules moved into core', () => {
  const value = (text: string) => new Decimal(text);

  it('arms the low-balance alert on a threshold change exactly when the balance is at or above it', () => {
    expect(armedAfterThresholdChange({ threshold: value('100'), balance: value('100') })).toBe(true);
    expect(armedAfterThresholdChange({ threshold: value('100'), balance: value('99.5') })).toBe(false);
  });

  it("tells where a user's trial stands: remaining never negative, exhausted at the limit", () => {
    expect(trialStanding({ used: value('2'), limit: value('3') })).toEqual({
      remaining: value('1'),
      exhausted: false,
    });
    expect(trialStanding({ used: value('3'), limit: value('3') })).toEqual({
      remaining: value('0'),
      exhausted: true,
    });
    expect(trialStanding({ used: value('5'), limit: value('3') }).remaining.toFixed()).toBe('0');
  });
});
