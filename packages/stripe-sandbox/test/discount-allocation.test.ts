import { describe, expect, it } from 'vitest';
import { allocateDiscount } from '../src/billing/discounts.js';

const percent = (percent_off: number) => ({ percent_off, amount_off: null });
const fixed = (amount_off: number) => ({ percent_off: null, amount_off });

describe('allocateDiscount', () => {
  it('takes a percentage of every eligible line, credits included, rounding each half away from zero', () => {
    expect(allocateDiscount([2900, -1450, 999], [true, true, true], percent(25))).toEqual([725, -363, 250]);
    expect(allocateDiscount([2900, 1000], [true, false], percent(12.5))).toEqual([363, 0]);
  });

  it('splits a fixed amount over the positive lines in proportion, the remainder on the largest', () => {
    expect(allocateDiscount([2000, 1000], [true, true], fixed(1000))).toEqual([667, 333]);
    expect(allocateDiscount([1000, 1000, 1000], [true, true, true], fixed(100))).toEqual([34, 33, 33]);
    expect(allocateDiscount([3000, 500], [false, true], fixed(1000))).toEqual([0, 500]);
  });

  it('never takes more than the eligible lines add up to', () => {
    expect(allocateDiscount([2900, -2000], [true, true], fixed(5000))).toEqual([900, 0]);
    expect(allocateDiscount([-500], [true], fixed(100))).toEqual([0]);
    expect(allocateDiscount([0, 0], [true, true], fixed(100))).toEqual([0, 0]);
  });
});
