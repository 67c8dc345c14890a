import { Decimal as DecimalJs } from 'decimal.js';

/**
 * Exact decimal arithmetic for quantities, unit prices and credits.
 * A private clone so no other code can change the precision or rounding we rely on.
 */
export const Decimal = DecimalJs.clone({
  precision: 60,
  rounding: DecimalJs.ROUND_HALF_UP,
  toExpNeg: -40,
  toExpPos: 60,
});
export type Decimal = InstanceType<typeof Decimal>;

export type DecimalInput = string | number | Decimal;

const DECIMAL_TEXT = /^-?(\d+)(\.\d+)?$/;

/** Parses a decimal from a string or a finite number; throws RangeError on anything else. */
export function toDecimal(value: DecimalInput): Decimal {
  if (value instanceof Decimal) return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
    // String(number) gives the shortest text that round-trips, so 0.1 stays 0.1, not 0.1000000000000000055…
    return new Decimal(String(value));
  }
  const text = value.trim();
  if (!DECIMAL_TEXT.test(text)) throw new RangeError(`not a decimal number: "${value}"`);
  return new Decimal(text);
}

export function isDecimalText(value: string): boolean {
  return DECIMAL_TEXT.test(value.trim());
}

/** Canonical text form: no exponent, no trailing zeros ("1.50" → "1.5", "2.000" → "2"). */
export function decimalText(value: DecimalInput): string {
  return toDecimal(value).toFixed();
}

/** Rounds an amount in minor units to a whole number of minor units, half away from zero. */
export function roundMinorUnits(value: DecimalInput): number {
  const rounded = toDecimal(value).toDecimalPlaces(0, Decimal.ROUND_HALF_UP);
  if (!rounded.abs().lte(Number.MAX_SAFE_INTEGER))
    throw new RangeError('amount exceeds the safe integer range');
  return rounded.toNumber();
}
