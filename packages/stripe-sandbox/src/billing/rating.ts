import { Decimal, toDecimal } from '@tollgate/core';
import type Stripe from 'stripe';
import type { Wire } from '../wire.js';

type Price = Wire<Stripe.Price>;

function transformedQuantity(price: Price, quantity: Decimal): Decimal {
  const transform = price.transform_quantity;
  if (!transform) return quantity;
  const divided = quantity.div(transform.divide_by);
  return transform.round === 'up' ? divided.ceil() : divided.floor();
}

function tierUnit(tier: Wire<Stripe.Price.Tier>): Decimal {
  return toDecimal(tier.unit_amount_decimal ?? '0');
}

function tierFlat(tier: Wire<Stripe.Price.Tier>): Decimal {
  return toDecimal(tier.flat_amount_decimal ?? '0');
}

/**
 * The amount, in minor units and not yet rounded, that a price charges for a quantity:
 * per unit, volume tiers (one tier prices everything) or graduated tiers (each slice at its tier).
 */
export function amountForQuantity(price: Price, quantityInput: Decimal | number | string): Decimal {
  const quantity = toDecimal(quantityInput instanceof Decimal ? quantityInput : String(quantityInput));
  if (price.billing_scheme !== 'tiered') {
    return transformedQuantity(price, quantity).times(toDecimal(price.unit_amount_decimal ?? '0'));
  }
  const tiers = price.tiers ?? [];
  if (price.tiers_mode === 'volume') {
    const tier =
      tiers.find((candidate) => candidate.up_to === null || quantity.lte(candidate.up_to)) ?? tiers.at(-1);
    if (!tier || quantity.isZero()) return new Decimal(0);
    return tierUnit(tier).times(quantity).plus(tierFlat(tier));
  }
  let total = new Decimal(0);
  let lowerBound = new Decimal(0);
  for (const tier of tiers) {
    if (quantity.lte(lowerBound)) break;
    const upper = tier.up_to === null ? quantity : Decimal.min(quantity, tier.up_to);
    const slice = upper.minus(lowerBound);
    if (slice.gt(0)) total = total.plus(tierUnit(tier).times(slice)).plus(tierFlat(tier));
    if (tier.up_to === null) break;
    lowerBound = new Decimal(tier.up_to);
  }
  return total;
}
