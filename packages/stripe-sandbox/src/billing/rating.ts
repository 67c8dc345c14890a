import type Stripe from 'stripe';
import { Fraction } from '../arithmetic/fraction.js';
import type { Wire } from '../wire.js';

type Price = Wire<Stripe.Price>;

function transformedQuantity(price: Price, quantity: Fraction): Fraction {
  const transform = price.transform_quantity;
  if (!transform) return quantity;
  const divided = quantity.div(transform.divide_by);
  return transform.round === 'up' ? divided.ceil() : divided.floor();
}

function tierUnit(tier: Wire<Stripe.Price.Tier>): Fraction {
  return Fraction.of(tier.unit_amount_decimal ?? '0');
}

function tierFlat(tier: Wire<Stripe.Price.Tier>): Fraction {
  return Fraction.of(tier.flat_amount_decimal ?? '0');
}

/**
 * The amount, in minor units and not yet rounded, that a price charges for a quantity:
 * per unit, volume tiers (one tier prices everything) or graduated tiers (each slice at its tier).
 */
export function amountForQuantity(price: Price, quantityInput: Fraction | number | string): Fraction {
  const quantity = Fraction.of(quantityInput);
  if (price.billing_scheme !== 'tiered') {
    return transformedQuantity(price, quantity).times(Fraction.of(price.unit_amount_decimal ?? '0'));
  }
  const tiers = price.tiers ?? [];
  if (price.tiers_mode === 'volume') {
    const tier =
      tiers.find((candidate) => candidate.up_to === null || quantity.lte(candidate.up_to)) ?? tiers.at(-1);
    if (!tier || quantity.isZero()) return Fraction.of(0);
    return tierUnit(tier).times(quantity).plus(tierFlat(tier));
  }
  let total = Fraction.of(0);
  let lowerBound = Fraction.of(0);
  for (const tier of tiers) {
    if (quantity.lte(lowerBound)) break;
    const upper = tier.up_to === null ? quantity : Fraction.min(quantity, tier.up_to);
    const slice = upper.minus(lowerBound);
    if (slice.gt(0)) total = total.plus(tierUnit(tier).times(slice)).plus(tierFlat(tier));
    if (tier.up_to === null) break;
    lowerBound = Fraction.of(tier.up_to);
  }
  return total;
}
