import type { OveragePricing, PlanFeature } from '../catalog/schema.js';
import { Decimal, type DecimalInput, roundMinorUnits, toDecimal } from '../decimal.js';

/** Usage past the included quantity; never negative, always zero for unlimited or boolean features. */
export function overageQuantity(planFeature: PlanFeature | undefined, used: DecimalInput): Decimal {
  if (planFeature === undefined || typeof planFeature === 'boolean') return new Decimal(0);
  if (planFeature.included === 'unlimited') return new Decimal(0);
  return Decimal.max(0, toDecimal(used).minus(planFeature.included));
}

/**
 * The exact (possibly fractional) amount in minor units that `quantity` overage units cost.
 * Package pricing charges whole packages, a partial package rounds up (as Stripe's
 * transform_quantity with round: "up"). Graduated tiers price each unit in the tier it falls in,
 * and a tier's flat amount is charged once as soon as any unit falls in it.
 */
export function exactOverageAmount(pricing: OveragePricing, quantity: DecimalInput): Decimal {
  const units = toDecimal(quantity);
  if (units.isNegative()) throw new RangeError('overage quantity must not be negative');
  if (units.isZero()) return new Decimal(0);
  switch (pricing.model) {
    case 'per_unit':
      return units.times(pricing.unit_amount);
    case 'package':
      return units.dividedBy(pricing.package_size).ceil().times(pricing.package_amount);
    case 'graduated': {
      let amount = new Decimal(0);
      let lowerBound = new Decimal(0);
      for (const tier of pricing.tiers) {
        if (units.lte(lowerBound)) break;
        const upperBound = tier.up_to === null ? units : Decimal.min(units, tier.up_to);
        amount = amount.plus(upperBound.minus(lowerBound).times(tier.unit_amount)).plus(tier.flat_amount);
        if (tier.up_to === null) break;
        lowerBound = new Decimal(tier.up_to);
      }
      return amount;
    }
  }
}

/**
 * The largest amount a usage line reports, in minor units. A period's usage may sum many events of
 * up to 10^15 each, so its price can pass what a JSON number holds exactly; no invoice reaches it
 * (it is 90 trillion in a two-decimal currency), so the line reports this ceiling instead of failing.
 */
export const MAX_REPORTED_MINOR_UNITS = Number.MAX_SAFE_INTEGER;

/**
 * What the overage of `used` costs on this plan feature, in whole minor units (0 without an overage
 * price), at most MAX_REPORTED_MINOR_UNITS.
 */
export function overageAmount(planFeature: PlanFeature | undefined, used: DecimalInput): number {
  if (planFeature === undefined || typeof planFeature === 'boolean' || planFeature.overage === null) return 0;
  const exact = exactOverageAmount(planFeature.overage, overageQuantity(planFeature, used));
  return roundMinorUnits(Decimal.min(exact, MAX_REPORTED_MINOR_UNITS));
}
