import type { BillingInterval } from '../billing-period.js';
import type { Catalog } from '../catalog/catalog.js';
import type { Plan } from '../catalog/schema.js';
import {
  creditPackPriceLookupKey,
  meterEventName,
  overagePriceLookupKey,
  planPriceLookupKey,
  STRIPE_METADATA,
} from './stripe-lookup-keys.js';
import { overagePriceShape, type StripePriceShape } from './stripe-price-shape.js';

/** Products are found again by their metadata: `plan:<code>`, `pack:<code>` or `feature:<code>`. */
export type ProductKey = string;

export type DesiredProduct = {
  key: ProductKey;
  name: string;
  description: string | null;
  metadata: Record<string, string>;
};

export type DesiredPrice = {
  lookup_key: string;
  product_key: ProductKey;
  nickname: string;
  metadata: Record<string, string>;
  shape: StripePriceShape;
};

export type MeterFormula = 'sum' | 'last';

export type DesiredMeter = {
  feature: string;
  event_name: string;
  display_name: string;
  formula: MeterFormula;
};

/** What the Customer Portal may switch among: each paid plan's product with its recurring prices. */
export type DesiredPortal = { products: { product_key: ProductKey; lookup_keys: string[] }[] };

/** The Stripe objects a catalog needs, and the parts of it Stripe cannot express (reported, skipped). */
export type DesiredStripeCatalog = {
  products: DesiredProduct[];
  meters: DesiredMeter[];
  prices: DesiredPrice[];
  portal: DesiredPortal;
  problems: string[];
};

export const planProductKey = (planCode: string): ProductKey => `plan:${planCode}`;
export const creditPackProductKey = (packCode: string): ProductKey => `pack:${packCode}`;
export const featureProductKey = (featureCode: string): ProductKey => `feature:${featureCode}`;

/** The product key a Stripe product's metadata names, or null for products that are not Tollgate's. */
export function productKeyOfMetadata(metadata: Record<string, string>): ProductKey | null {
  const plan = metadata[STRIPE_METADATA.plan];
  const feature = metadata[STRIPE_METADATA.feature];
  const pack = metadata[STRIPE_METADATA.creditPack];
  if (pack && !plan && !feature) return creditPackProductKey(pack);
  if (plan && !feature && !pack) return planProductKey(plan);
  if (feature && !plan && !pack) return featureProductKey(feature);
  return null;
}

const INTERVALS: { interval: BillingInterval; price: 'monthly' | 'yearly'; label: string }[] = [
  { interval: 'month', price: 'monthly', label: 'monthly' },
  { interval: 'year', price: 'yearly', label: 'yearly' },
];

/** The intervals a plan is sold for: those with a price above zero. */
export function paidIntervals(plan: Plan): BillingInterval[] {
  return INTERVALS.filter(({ price }) => (plan.prices[price]?.amount ?? 0) > 0).map(
    ({ interval }) => interval,
  );
}

/**
 * Gauges (a maximum, a latest value, or a counter that never resets, such as seats or storage) are
 * reported as their current level and billed on the last value; flows are reported as increments and
 * summed over the period.
 */
export function meterFormulaFor(feature: { aggregation: string; reset: string }): MeterFormula {
  return feature.aggregation === 'max' || feature.aggregation === 'latest' || feature.reset === 'never'
    ? 'last'
    : 'sum';
}

/** The Stripe products, meters and prices the catalog needs. Pure: the same catalog gives the same answer. */
export function desiredStripeCatalog(catalog: Catalog): DesiredStripeCatalog {
  const currency = catalog.currency;
  const taxBehavior = catalog.definition.billing.automatic_tax ? 'exclusive' : 'unspecified';
  const products: DesiredProduct[] = [];
  const prices: DesiredPrice[] = [];
  const meters = new Map<string, DesiredMeter>();
  const portal: DesiredPortal = { products: [] };
  const problems: string[] = [];
  const featureProducts = new Set<string>();

  for (const plan of catalog.plans()) {
    const intervals = paidIntervals(plan);
    if (intervals.length === 0) continue;
    const productKey = planProductKey(plan.code);
    products.push({
      key: productKey,
      name: plan.name,
      description: plan.description || null,
      metadata: { [STRIPE_METADATA.plan]: plan.code },
    });
    const planLookupKeys: string[] = [];
    for (const { interval, price, label } of INTERVALS.filter((entry) =>
      intervals.includes(entry.interval),
    )) {
      const lookupKey = planPriceLookupKey(plan.code, interval);
      planLookupKeys.push(lookupKey);
      prices.push({
        lookup_key: lookupKey,
        product_key: productKey,
        nickname: `${plan.name} (${label})`,
        metadata: { [STRIPE_METADATA.plan]: plan.code, [STRIPE_METADATA.interval]: interval },
        shape: {
          currency,
          recurring: { interval, usage_type: 'licensed' },
          meter_feature: null,
          billing_scheme: 'per_unit',
          unit_amount_decimal: String(plan.prices[price]?.amount ?? 0),
          tiers: null,
          transform_quantity: null,
          tax_behavior: taxBehavior,
        },
      });
    }
    portal.products.push({ product_key: productKey, lookup_keys: planLookupKeys });

    for (const [featureCode, planFeature] of Object.entries(plan.features)) {
      if (typeof planFeature === 'boolean' || planFeature.overage === null) continue;
      if (planFeature.included === 'unlimited') continue;
      const feature = catalog.feature(featureCode);
      if (!feature) continue;
      const result = overagePriceShape(planFeature.included, planFeature.overage);
      if (!result.ok) {
        problems.push(`plan "${plan.code}", feature "${featureCode}": ${result.problem}; no overage price`);
        continue;
      }
      if (!meters.has(featureCode)) {
        meters.set(featureCode, {
          feature: featureCode,
          event_name: meterEventName(featureCode),
          display_name: feature.name,
          formula: meterFormulaFor(feature),
        });
      }
      const featureKey = featureProductKey(featureCode);
      if (!featureProducts.has(featureKey)) {
        featureProducts.add(featureKey);
        products.push({
          key: featureKey,
          name: `${feature.name} (overage)`,
          description: `${feature.name} used past a plan's included quantity, per ${feature.unit}`,
          metadata: { [STRIPE_METADATA.feature]: featureCode },
        });
      }
      for (const interval of intervals) {
        prices.push({
          lookup_key: overagePriceLookupKey(plan.code, featureCode, interval),
          product_key: featureKey,
          nickname: `${plan.name}: ${feature.name} overage (${interval}ly)`,
          metadata: {
            [STRIPE_METADATA.plan]: plan.code,
            [STRIPE_METADATA.interval]: interval,
            [STRIPE_METADATA.feature]: featureCode,
          },
          shape: {
            ...result.shape,
            currency,
            recurring: { interval, usage_type: 'metered' },
            meter_feature: featureCode,
            tax_behavior: taxBehavior,
          },
        });
      }
    }
  }

  for (const [packCode, pack] of Object.entries(catalog.definition.credit_packs)) {
    const productKey = creditPackProductKey(packCode);
    products.push({
      key: productKey,
      name: pack.name,
      description: `${pack.credits} credits`,
      metadata: { [STRIPE_METADATA.creditPack]: packCode },
    });
    prices.push({
      lookup_key: creditPackPriceLookupKey(packCode),
      product_key: productKey,
      nickname: pack.name,
      metadata: { [STRIPE_METADATA.creditPack]: packCode },
      shape: {
        currency,
        recurring: null,
        meter_feature: null,
        billing_scheme: 'per_unit',
        unit_amount_decimal: String(pack.price.amount),
        tiers: null,
        transform_quantity: null,
        tax_behavior: taxBehavior,
      },
    });
  }
  return { products, meters: [...meters.values()], prices, portal, problems };
}
