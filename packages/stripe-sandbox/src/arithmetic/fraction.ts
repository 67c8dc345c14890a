/**
 * Exact rational numbers on BigInt, for quantities, unit prices, prorations and tax. The sandbox keeps
 * arithmetic of its own, not Tollgate's: a test double that shared the engine's rounding could not
 * catch the engine's rounding mistakes. Every operation is exact; rounding happens only when an amount
 * becomes whole minor units.
 */
export type FractionInput = Fraction | string | number | bigint;

const DECIMAL_TEXT = /^(-)?(\d+)(?:\.(\d+))?$/;

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

export class Fraction {
  private constructor(
    readonly numerator: bigint,
    readonly denominator: bigint,
  ) {}

  private static make(numerator: bigint, denominator: bigint): Fraction {
    if (denominator === 0n) throw new RangeError('division by zero');
    const sign = denominator < 0n ? -1n : 1n;
    const divisor = gcd(numerator, denominator) || 1n;
    return new Fraction((sign * numerator) / divisor, (sign * denominator) / divisor);
  }

  static readonly ZERO = new Fraction(0n, 1n);

  /** Plain decimal text (`-12.5`, `3`): what Stripe sends for decimals and meter values. */
  static isDecimalText(text: string): boolean {
    return DECIMAL_TEXT.test(text.trim());
  }

  static of(value: FractionInput): Fraction {
    if (value instanceof Fraction) return value;
    if (typeof value === 'bigint') return new Fraction(value, 1n);
    if (typeof value === 'number') {
      if (Number.isSafeInteger(value)) return new Fraction(BigInt(value), 1n);
      if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
      return Fraction.of(String(value));
    }
    const match = DECIMAL_TEXT.exec(value.trim());
    if (!match) throw new RangeError(`not a decimal number: "${value}"`);
    const [, minus, whole, decimals = ''] = match;
    const digits = BigInt(`${whole}${decimals}`);
    return Fraction.make(minus ? -digits : digits, 10n ** BigInt(decimals.length));
  }

  static min(a: FractionInput, b: FractionInput): Fraction {
    const x = Fraction.of(a);
    const y = Fraction.of(b);
    return x.lte(y) ? x : y;
  }

  static max(a: FractionInput, b: FractionInput): Fraction {
    const x = Fraction.of(a);
    const y = Fraction.of(b);
    return x.gte(y) ? x : y;
  }

  plus(other: FractionInput): Fraction {
    const o = Fraction.of(other);
    return Fraction.make(
      this.numerator * o.denominator + o.numerator * this.denominator,
      this.denominator * o.denominator,
    );
  }

  minus(other: FractionInput): Fraction {
    const o = Fraction.of(other);
    return Fraction.make(
      this.numerator * o.denominator - o.numerator * this.denominator,
      this.denominator * o.denominator,
    );
  }

  times(other: FractionInput): Fraction {
    const o = Fraction.of(other);
    return Fraction.make(this.numerator * o.numerator, this.denominator * o.denominator);
  }

  div(other: FractionInput): Fraction {
    const o = Fraction.of(other);
    return Fraction.make(this.numerator * o.denominator, this.denominator * o.numerator);
  }

  compare(other: FractionInput): -1 | 0 | 1 {
    const o = Fraction.of(other);
    const difference = this.numerator * o.denominator - o.numerator * this.denominator;
    return difference < 0n ? -1 : difference > 0n ? 1 : 0;
  }

  lt(other: FractionInput): boolean {
    return this.compare(other) < 0;
  }

  lte(other: FractionInput): boolean {
    return this.compare(other) <= 0;
  }

  gt(other: FractionInput): boolean {
    return this.compare(other) > 0;
  }

  gte(other: FractionInput): boolean {
    return this.compare(other) >= 0;
  }

  isZero(): boolean {
    return this.numerator === 0n;
  }

  /** The largest whole number not above this one. */
  floor(): Fraction {
    const quotient = this.numerator / this.denominator;
    const adjust = this.numerator < 0n && quotient * this.denominator !== this.numerator ? 1n : 0n;
    return new Fraction(quotient - adjust, 1n);
  }

  /** The smallest whole number not below this one. */
  ceil(): Fraction {
    const floor = this.floor();
    return floor.numerator * this.denominator === this.numerator
      ? floor
      : new Fraction(floor.numerator + 1n, 1n);
  }

  /** Whole minor units, half away from zero (1.5 → 2, −1.5 → −2), as a safe integer. */
  toMinorUnits(): number {
    const magnitude = this.numerator < 0n ? -this.numerator : this.numerator;
    const rounded = (2n * magnitude + this.denominator) / (2n * this.denominator);
    const whole = this.numerator < 0n ? -rounded : rounded;
    if (whole > BigInt(Number.MAX_SAFE_INTEGER) || whole < -BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new RangeError('amount exceeds the safe integer range');
    }
    return Number(whole);
  }

  /**
   * Plain decimal text without an exponent or trailing zeros (`1.5`, `-3`); exact for every sum of
   * decimals, rounded half away from zero at `maxPlaces` for fractions such as thirds.
   */
  toDecimalText(maxPlaces = 20): string {
    const scale = 10n ** BigInt(maxPlaces);
    const magnitude = this.numerator < 0n ? -this.numerator : this.numerator;
    const scaled = (2n * magnitude * scale + this.denominator) / (2n * this.denominator);
    const digits = scaled.toString().padStart(maxPlaces + 1, '0');
    const whole = digits.slice(0, digits.length - maxPlaces);
    const decimals = digits.slice(digits.length - maxPlaces).replace(/0+$/, '');
    const sign = this.numerator < 0n && scaled !== 0n ? '-' : '';
    return `${sign}${whole}${decimals ? `.${decimals}` : ''}`;
  }

  /** The nearest double, for fields Stripe itself sends as floating point (a meter's `aggregated_value`). */
  toNumber(): number {
    return Number(this.numerator) / Number(this.denominator);
  }
}

/** Rounds an amount in minor units to whole minor units, half away from zero. */
export function roundMinorUnits(value: FractionInput): number {
  return Fraction.of(value).toMinorUnits();
}
