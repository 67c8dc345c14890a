import { describe, expect, it } from 'vitest';
import { isCountableValue, uniqueValueText } from '../src/metering/unique-value.js';

describe('unique_count value text', () => {
  it('gives strings as they are and booleans as true/false', () => {
    expect(uniqueValueText('Ann ')).toBe('Ann ');
    expect(uniqueValueText('')).toBe('');
    expect(uniqueValueText(true)).toBe('true');
    expect(uniqueValueText(false)).toBe('false');
  });

  it('writes numbers in plain notation, as PostgreSQL prints a jsonb number', () => {
    expect(uniqueValueText(42)).toBe('42');
    expect(uniqueValueText(-0)).toBe('0');
    expect(uniqueValueText(1.5)).toBe('1.5');
    expect(uniqueValueText(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(uniqueValueText(1e-7)).toBe('0.0000001');
    expect(uniqueValueText(1e21)).toBe('1000000000000000000000');
    expect(uniqueValueText(-2.5e22)).toBe('-25000000000000000000000');
    expect(uniqueValueText(Number.MAX_SAFE_INTEGER + 2)).toBe('9007199254740992');
  });

  it('has no text for missing values, objects and arrays', () => {
    expect(uniqueValueText(undefined)).toBeUndefined();
    expect(uniqueValueText(null)).toBeUndefined();
    expect(uniqueValueText({ id: 1 })).toBeUndefined();
    expect(uniqueValueText([1])).toBeUndefined();
  });

  it('accepts missing values and scalars, and refuses objects and arrays', () => {
    for (const value of [undefined, null, 'a', 0, 1e-7, false]) expect(isCountableValue(value)).toBe(true);
    for (const value of [{}, [], { id: 'a' }, ['a']]) expect(isCountableValue(value)).toBe(false);
  });
});
