import { describe, expect, it } from 'vitest';
import { Fraction, roundMinorUnits } from '../src/arithmetic/fraction.js';

describe('Fraction (the sandbox’s own exact arithmetic)', () => {
  it('parses decimal text and safe integers exactly', () => {
    expect(Fraction.of('0.1').plus('0.2').compare('0.3')).toBe(0);
    expect(Fraction.of('-12.50').compare(Fraction.of(-25).div(2))).toBe(0);
    expect(Fraction.of(7n).times('1.5').compare('10.5')).toBe(0);
    expect(Fraction.of(0.25).compare('0.25')).toBe(0);
    expect(() => Fraction.of('1e3')).toThrow(RangeError);
    expect(() => Fraction.of('abc')).toThrow(RangeError);
    expect(() => Fraction.of(Number.NaN)).toThrow(RangeError);
    expect(Fraction.isDecimalText(' 42.0 ')).toBe(true);
    expect(Fraction.isDecimalText('4.')).toBe(false);
  });

  it('divides without losing anything: a third of 100 times three is 100', () => {
    expect(Fraction.of(100).div(3).times(3).compare(100)).toBe(0);
    expect(() => Fraction.of(1).div(0)).toThrow(RangeError);
  });

  it('compares, and picks min and max', () => {
    expect(Fraction.of('2.5').gt(2)).toBe(true);
    expect(Fraction.of('2.5').lte('2.50')).toBe(true);
    expect(Fraction.of(-1).lt(0)).toBe(true);
    expect(Fraction.min(3, '2.9').compare('2.9')).toBe(0);
    expect(Fraction.max(0, Fraction.of(-5).div(7)).isZero()).toBe(true);
  });

  it('floors and ceils toward the right side of zero', () => {
    expect(Fraction.of('2.1').floor().compare(2)).toBe(0);
    expect(Fraction.of('2.1').ceil().compare(3)).toBe(0);
    expect(Fraction.of('-2.1').floor().compare(-3)).toBe(0);
    expect(Fraction.of('-2.1').ceil().compare(-2)).toBe(0);
    expect(Fraction.of(4).ceil().compare(4)).toBe(0);
  });

  it('rounds minor units half away from zero', () => {
    expect(roundMinorUnits('2.5')).toBe(3);
    expect(roundMinorUnits('-2.5')).toBe(-3);
    expect(roundMinorUnits('2.4999')).toBe(2);
    expect(roundMinorUnits(Fraction.of(2900).times(15).div(31))).toBe(1403);
    expect(roundMinorUnits(Fraction.of(-2900).times(15).div(31))).toBe(-1403);
    expect(() => roundMinorUnits('9007199254740993')).toThrow(RangeError);
  });

  it('writes plain decimal text', () => {
    expect(Fraction.of('1500.50').toDecimalText()).toBe('1500.5');
    expect(Fraction.of('-0.001').times(3).toDecimalText()).toBe('-0.003');
    expect(Fraction.of(7).toDecimalText()).toBe('7');
    expect(Fraction.of(2).div(3).toDecimalText(4)).toBe('0.6667');
    expect(Fraction.of(-1).div(3).toDecimalText(2)).toBe('-0.33');
  });

  it('gives the nearest double for float fields', () => {
    expect(Fraction.of('1500.5').toNumber()).toBe(1500.5);
  });
});
