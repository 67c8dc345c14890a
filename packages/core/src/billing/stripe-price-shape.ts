import type { BillingInterval } from '../billing-period.js';
import type { OveragePricing } from '../catalog/schema.js';
import { Decimal, decimalText, toDecimal } from '../decimal.js';

/** One Stripe price tier; `up_to` null is Stripe's "inf". Amounts in minor units, exact decimals. */
export type StripeTier = { up_to: number | null; unit_amount_decimal: string; flat_amount: number };

/**
 * What makes a Stripe price the price Tollgate wants. Stripe prices are immutable, so a price whose
 * shape differs from the catalog's is replaced by a new one, never edited.
 */
export type StripePriceShape = {
  currency: string;
  /** null for a one-time price (credit packs). */
  recurring: { interval: BillingInterval; usage_type: 'licensed' | 'metered' } | null;
  /** The feature whose billing meter a metered price reads; null for licensed and one-time prices. */
  meter_feature: string | null;
  billing_scheme: 'per_unit' | 'tiered';
  /** For per_unit prices. */
  unit_amount_decimal: string | null;
  /** For tiered prices (always graduated). */
  tiers: StripeTier[] | null;
  transform_quantity: { divide_by: number; round: 'up' } | null;
  tax_behavior: 'exclusive' | 'unspecified';
};

/** Stripe accepts unit amounts with at most 12 decimal places. */
const STRIPE_DECIMAL_PLACES = 12;

export type OverageShapeResult =
  | { ok: true; shape: Omit<StripePriceShape, 'currency' | 'recurring' | 'meter_feature' | 'tax_behavior'> }
  | { ok: false; problem: string };

function tooPrecise(amount: string): boolean {
  return toDecimal(amount).decimalPlaces() > STRIPE_DECIMAL_PLACES;
}

/**
 * The metered Stripe price for a plan feature's overage. Stripe is sent the feature's whole usage of
 * the period, so the included quantity becomes a first tier priced at 0 and the catalog's tiers move
 * up by it. Package pricing with nothing included is Stripe's transform_quantity (whole packages,
 * rounded up, as Tollgate rates it); with an included quantity Stripe cannot combine tiers and
 * transform_quantity, so the package becomes a unit price (package amount ÷ package size) past the
 * included quantity: full packages cost the same, a last partial package is billed pro rata.
 */
export function overagePriceShape(included: string, overage: OveragePricing): OverageShapeResult {
  const includedUnits = toDecimal(included);
  if (!includedUnits.isInteger()) {
    return {
      ok: false,
      problem: `included quantity ${included} is not a whole number, as Stripe tiers need`,
    };
  }
  const offset = includedUnits.toNumber();
  const freeTier: StripeTier[] =
    offset > 0 ? [{ up_to: offset, unit_amount_decimal: '0', flat_amount: 0 }] : [];
  const unitPriceBeyond = (unitAmount: string): OverageShapeResult => {
    if (tooPrecise(unitAmount)) {
      return {
        ok: false,
        problem: `unit amount ${unitAmount} has more than ${STRIPE_DECIMAL_PLACES} decimal places`,
      };
    }
    if (offset === 0) {
      return {
        ok: true,
        shape: {
          billing_scheme: 'per_unit',
          unit_amount_decimal: unitAmount,
          tiers: null,
          transform_quantity: null,
        },
      };
    }
    return {
      ok: true,
      shape: {
        billing_scheme: 'tiered',
        unit_amount_decimal: null,
        tiers: [...freeTier, { up_to: null, unit_amount_decimal: unitAmount, flat_amount: 0 }],
        transform_quantity: null,
      },
    };
  };
  switch (overage.model) {
    case 'per_unit':
      return unitPriceBeyond(decimalText(overage.unit_amount));
    case 'package': {
      if (offset === 0) {
        if (tooPrecise(overage.package_amount)) {
          return { ok: false, problem: `package amount ${overage.package_amount} is too precise for Stripe` };
        }
        return {
          ok: true,
          shape: {
            billing_scheme: 'per_unit',
            unit_amount_decimal: decimalText(overage.package_amount),
            tiers: null,
            transform_quantity: { divide_by: overage.package_size, round: 'up' },
          },
        };
      }
      const unitAmount = toDecimal(overage.package_amount).dividedBy(overage.package_size);
      if (unitAmount.decimalPlaces() > STRIPE_DECIMAL_PLACES) {
        return {
          ok: false,
          problem: `package of ${overage.package_size} for ${overage.package_amount} past an included quantity needs a unit amount Stripe cannot hold exactly; make the included quantity 0 or the division exact`,
        };
      }
      return unitPriceBeyond(decimalText(unitAmount));
    }
    case 'graduated': {
      const tiers: StripeTier[] = [...freeTier];
      for (const tier of overage.tiers) {
        if (tooPrecise(tier.unit_amount)) {
          return { ok: false, problem: `tier unit amount ${tier.unit_amount} is too precise for Stripe` };
        }
        tiers.push({
          up_to: tier.up_to === null ? null : new Decimal(tier.up_to).plus(offset).toNumber(),
          unit_amount_decimal: decimalText(tier.unit_amount),
          flat_amount: tier.flat_amount,
        });
      }
      return {
        ok: true,
        shape: { billing_scheme: 'tiered', unit_amount_decimal: null, tiers, transform_quantity: null },
      };
    }
  }
}

/** Two shapes name the same Stripe price when every priced field agrees (decimals compared exactly). */
export function samePriceShape(a: StripePriceShape, b: StripePriceShape): boolean {
  const sameDecimal = (x: string | null, y: string | null) =>
    x === null || y === null ? x === y : toDecimal(x).equals(toDecimal(y));
  const sameTiers = (x: StripeTier[] | null, y: StripeTier[] | null) =>
    x === null || y === null
      ? x === y
      : x.length === y.length &&
        x.every(
          (tier, index) =>
            tier.up_to === y[index]?.up_to &&
            tier.flat_amount === y[index]?.flat_amount &&
            sameDecimal(tier.unit_amount_decimal, y[index]?.unit_amount_decimal ?? null),
        );
  return (
    a.currency === b.currency &&
    a.recurring?.interval === b.recurring?.interval &&
    a.recurring?.usage_type === b.recurring?.usage_type &&
    a.meter_feature === b.meter_feature &&
    a.billing_scheme === b.billing_scheme &&
    sameDecimal(a.unit_amount_decimal, b.unit_amount_decimal) &&
    sameTiers(a.tiers, b.tiers) &&
    a.transform_quantity?.divide_by === b.transform_quantity?.divide_by &&
    a.transform_quantity?.round === b.transform_quantity?.round &&
    a.tax_behavior === b.tax_behavior
  );
}
