import { describe, expect, it } from 'vitest';
import type { OveragePricing, PlanFeature } from '../src/catalog/schema.js';
import {
  exactOverageAmount,
  MAX_REPORTED_MINOR_UNITS,
  overageAmount,
  overageQuantity,
} from '../src/metering/rating.js';
import { usageLine } from '../src/metering/usage-line.js';
import { isWithinUsageBound, MAX_USAGE_QUANTITY } from '../src/metering/usage-quantity.js';

const perUnit: OveragePricing = { model: 'per_unit', unit_amount: '0.1' };
const perPackage: OveragePricing = { model: 'package', package_size: 1000, package_amount: '150' };
const graduated: OveragePricing = {
  model: 'graduated',
  tiers: [
    { up_to: 100, unit_amount: '10', flat_amount: 0 },
    { up_to: 1000, unit_amount: '5', flat_amount: 200 },
    { up_to: null, unit_amount: '0.5', flat_amount: 0 },
  ],
};

describe('exactOverageAmount', () => {
  it('prices per unit exactly, without float drift', () => {
    expect(exactOverageAmount(perUnit, 3).toFixed()).toBe('0.3');
    expect(exactOverageAmount(perUnit, '12345').toFixed()).toBe('1234.5');
  });

  it('rounds partial packages up', () => {
    expect(exactOverageAmount(perPackage, 1).toFixed()).toBe('150');
    expect(exactOverageAmount(perPackage, 1000).toFixed()).toBe('150');
    expect(exactOverageAmount(perPackage, 1001).toFixed()).toBe('300');
    expect(exactOverageAmount(perPackage, 0).toFixed()).toBe('0');
  });

  it('prices graduated tiers unit by unit with each reached tier flat amount once', () => {
    expect(exactOverageAmount(graduated, 50).toFixed()).toBe('500');
    expect(exactOverageAmount(graduated, 100).toFixed()).toBe('1000');
    // 100 × 10 + (200 flat + 1 × 5)
    expect(exactOverageAmount(graduated, 101).toFixed()).toBe('1205');
    // 1000 + 200 + 900 × 5 + 500 × 0.5
    expect(exactOverageAmount(graduated, 1500).toFixed()).toBe('5950');
    expect(exactOverageAmount(graduated, '100.5').toFixed()).toBe('1202.5');
  });

  it('rejects a negative quantity', () => {
    expect(() => exactOverageAmount(perUnit, -1)).toThrow(RangeError);
  });
});

describe('overage of a plan feature', () => {
  const soft: PlanFeature = { included: '1000', cap: 'soft', overage: perUnit };

  it('counts only usage past the included quantity', () => {
    expect(overageQuantity(soft, 999).toFixed()).toBe('0');
    expect(overageQuantity(soft, '1000.5').toFixed()).toBe('0.5');
    expect(overageAmount(soft, 1025)).toBe(3); // 2.5 cents rounds half up
  });

  it('is zero for unlimited, boolean, absent features and features without an overage price', () => {
    expect(overageQuantity({ included: 'unlimited', cap: 'soft', overage: null }, 10).toFixed()).toBe('0');
    expect(overageAmount(true, 10)).toBe(0);
    expect(overageAmount(undefined, 10)).toBe(0);
    expect(overageAmount({ included: '1', cap: 'soft', overage: null }, 10)).toBe(0);
  });

  it('builds a usage line with percent and remaining', () => {
    const line = usageLine(soft, 1200);
    expect(line.remaining?.toFixed()).toBe('0');
    expect(line.percent?.toFixed()).toBe('120');
    expect(line.overage_quantity.toFixed()).toBe('200');
    expect(line.overage_amount).toBe(20);
    expect(usageLine({ included: 'unlimited', cap: 'soft', overage: null }, 5).included).toBe('unlimited');
  });
});

describe('defect 4: money and quantities that cannot overflow', () => {
  const pricedPerUnit: PlanFeature = {
    included: '0',
    cap: 'soft',
    overage: { model: 'per_unit', unit_amount: '1' },
  };

  it('reports an overage past the safe integer range as the ceiling instead of throwing', () => {
    const used = MAX_USAGE_QUANTITY.times(200);
    expect(overageAmount(pricedPerUnit, used)).toBe(MAX_REPORTED_MINOR_UNITS);
    expect(overageAmount(pricedPerUnit, '9007199254740990')).toBe(9007199254740990);
  });

  it('bounds a usage quantity at 10^15, whatever its spelling', () => {
    expect(isWithinUsageBound('1000000000000000')).toBe(true);
    expect(isWithinUsageBound('999999999999999.999999')).toBe(true);
    expect(isWithinUsageBound('1000000000000000.1')).toBe(false);
    expect(isWithinUsageBound('100000000000000000000')).toBe(false);
    expect(isWithinUsageBound('0000000000000000001')).toBe(true);
  });
});
