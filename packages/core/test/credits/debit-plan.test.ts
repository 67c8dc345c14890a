import { describe, expect, it } from 'vitest';
import { Decimal, lotsAfter, planDebit } from '../../src/index.js';
import { lot, movements, now } from './lots.js';

const amount = (value: string | number) => new Decimal(value);

describe('planDebit', () => {
  it('spends purchased credits before subscription credits by default (the issue scenario)', () => {
    const lots = [lot('sub', 'subscription', 50, { expires_in_days: 20 }), lot('buy', 'purchased', 100)];
    const plan = planDebit({ lots, now, amount: amount(120), precedence: 'purchased_first' });
    expect(plan.sufficient).toBe(true);
    if (!plan.sufficient) return;
    expect(movements(plan.debits)).toEqual([
      ['buy', '100'],
      ['sub', '20'],
    ]);
    expect(plan.balance_before.toFixed()).toBe('150');
    expect(plan.balance_after.toFixed()).toBe('30');
  });

  it('spends the soonest expiry first when configured so, whatever the source', () => {
    const lots = [lot('buy', 'purchased', 100), lot('sub', 'subscription', 50, { expires_in_days: 20 })];
    const plan = planDebit({ lots, now, amount: amount(60), precedence: 'soonest_expiry_first' });
    expect(plan.sufficient && movements(plan.debits)).toEqual([
      ['sub', '50'],
      ['buy', '10'],
    ]);
  });

  it('within one source takes the earliest expiry first, then the oldest grant, never-expiring last', () => {
    const lots = [
      lot('never-old', 'promotional', 5, { granted_days_ago: 30 }),
      lot('late', 'promotional', 5, { expires_in_days: 9 }),
      lot('soon-young', 'promotional', 5, { expires_in_days: 3, granted_days_ago: 1 }),
      lot('soon-old', 'promotional', 5, { expires_in_days: 3, granted_days_ago: 2 }),
    ];
    const plan = planDebit({ lots, now, amount: amount(20), precedence: 'purchased_first' });
    expect(plan.sufficient && plan.debits.map((debit) => debit.lot_id)).toEqual([
      'soon-old',
      'soon-young',
      'late',
      'never-old',
    ]);
  });

  it('never uses an expired lot, also one expiring exactly now', () => {
    const lots = [
      lot('gone', 'purchased', 100, { expires_in_days: -1 }),
      { ...lot('edge', 'purchased', 100), expires_at: now },
      lot('ok', 'subscription', 10, { expires_in_days: 1 }),
    ];
    const plan = planDebit({ lots, now, amount: amount(11), precedence: 'purchased_first' });
    expect(plan).toMatchObject({ sufficient: false, code: 'insufficient_credits' });
    if (plan.sufficient) return;
    expect(plan.balance.toFixed()).toBe('10');
    expect(plan.amount.toFixed()).toBe('11');
  });

  it('is all or nothing: one credit short gives no debits at all', () => {
    const lots = [lot('a', 'purchased', 3), lot('b', 'promotional', 3)];
    const plan = planDebit({ lots, now, amount: amount(7), precedence: 'purchased_first' });
    expect(plan).toEqual({
      sufficient: false,
      code: 'insufficient_credits',
      amount: amount(7),
      balance: amount(6),
    });
  });

  it('uses an exact balance completely and skips empty lots', () => {
    const lots = [lot('empty', 'purchased', 0), lot('a', 'purchased', 3), lot('b', 'subscription', 4)];
    const plan = planDebit({ lots, now, amount: amount(7), precedence: 'purchased_first' });
    expect(plan.sufficient && movements(plan.debits)).toEqual([
      ['a', '3'],
      ['b', '4'],
    ]);
    expect(plan.sufficient && plan.balance_after.isZero()).toBe(true);
  });

  it('splits decimal credits exactly', () => {
    const lots = [lot('a', 'purchased', '0.1'), lot('b', 'purchased', '0.2', { granted_days_ago: 0 })];
    const plan = planDebit({ lots, now, amount: amount('0.3'), precedence: 'purchased_first' });
    expect(plan.sufficient && movements(plan.debits)).toEqual([
      ['a', '0.1'],
      ['b', '0.2'],
    ]);
    expect(plan.sufficient && plan.balance_after.toFixed()).toBe('0');
  });

  it('lets a higher priority lot go before the precedence', () => {
    const lots = [lot('buy', 'purchased', 10), lot('sub', 'subscription', 10, { priority: 5 })];
    const plan = planDebit({ lots, now, amount: amount(4), precedence: 'purchased_first' });
    expect(plan.sufficient && movements(plan.debits)).toEqual([['sub', '4']]);
  });

  it('orders by source under purchased_first: purchased, transfer, promotional, subscription', () => {
    const lots = [
      lot('s', 'subscription', 1),
      lot('p', 'promotional', 1),
      lot('t', 'transfer', 1),
      lot('b', 'purchased', 1),
    ];
    const plan = planDebit({ lots, now, amount: amount(4), precedence: 'purchased_first' });
    expect(plan.sufficient && plan.debits.map((debit) => debit.lot_id)).toEqual(['b', 't', 'p', 's']);
  });

  it('refuses a non-positive amount as a fault', () => {
    expect(() => planDebit({ lots: [], now, amount: amount(0), precedence: 'purchased_first' })).toThrow(
      RangeError,
    );
  });
});

describe('lotsAfter', () => {
  it('takes each movement out of its own lot and leaves the other lots as they were', () => {
    const lots = [lot('a', 'purchased', 100), lot('b', 'subscription', 50), lot('c', 'promotional', 10)];
    const after = lotsAfter(lots, [
      { lot_id: 'a', amount: amount(40) },
      { lot_id: 'c', amount: amount(10) },
    ]);
    expect(after.map((entry) => [entry.id, entry.remaining.toFixed()])).toEqual([
      ['a', '60'],
      ['b', '50'],
      ['c', '0'],
    ]);
    expect(after[1]).toBe(lots[1]);
  });
});
