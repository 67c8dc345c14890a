import {
  type FoundMeter,
  type FoundPortalConfiguration,
  type FoundPrice,
  type FoundStripeCatalog,
  LOOKUP_KEY_PREFIX,
  productKeyOfMetadata,
  type StripePriceShape,
} from '@tollgate/core';
import type Stripe from 'stripe';

/** Marks the portal configuration Tollgate keeps, so that it is found again and never duplicated. */
export const PORTAL_CONFIGURATION_MARKER = { tollgate_portal_configuration: 'catalog' } as const;

const amountText = (decimal: Stripe.Decimal | null, integer: number | null): string | null =>
  decimal !== null ? String(decimal) : integer !== null ? String(integer) : null;

/** Stripe's open string unions narrowed to the values Tollgate writes. */
function oneOf<T extends string>(value: string | null | undefined, allowed: readonly T[]): T | null {
  return allowed.find((candidate) => candidate === value) ?? null;
}

/**
 * The price as a shape Tollgate could have asked for, or null when it has a form Tollgate never
 * creates (volume tiers, inclusive tax, rounding down …), so that the sync replaces it.
 */
export function priceShapeOf(
  price: Stripe.Price,
  featureByMeter: Map<string, string>,
): StripePriceShape | null {
  const recurring = price.recurring;
  const interval = oneOf(recurring?.interval, ['month', 'year'] as const);
  const usageType = oneOf(recurring?.usage_type, ['licensed', 'metered'] as const);
  if (recurring && (interval === null || usageType === null || recurring.interval_count !== 1)) return null;
  const scheme = oneOf(price.billing_scheme, ['per_unit', 'tiered'] as const);
  if (scheme === null || (scheme === 'tiered' && price.tiers_mode !== 'graduated')) return null;
  if (price.transform_quantity && price.transform_quantity.round !== 'up') return null;
  const taxBehavior = oneOf(price.tax_behavior, ['exclusive', 'unspecified'] as const);
  if (taxBehavior === null) return null;
  const meter = recurring?.meter ?? null;
  return {
    currency: price.currency,
    recurring: interval !== null && usageType !== null ? { interval, usage_type: usageType } : null,
    meter_feature: meter === null ? null : (featureByMeter.get(meter) ?? `(meter ${meter})`),
    billing_scheme: scheme,
    unit_amount_decimal:
      scheme === 'per_unit' ? amountText(price.unit_amount_decimal, price.unit_amount) : null,
    tiers:
      scheme === 'tiered'
        ? (price.tiers ?? []).map((tier) => ({
            up_to: tier.up_to,
            unit_amount_decimal: amountText(tier.unit_amount_decimal, tier.unit_amount) ?? '0',
            flat_amount: tier.flat_amount ?? 0,
          }))
        : null,
    transform_quantity: price.transform_quantity
      ? { divide_by: price.transform_quantity.divide_by, round: 'up' }
      : null,
    tax_behavior: taxBehavior,
  };
}

function portalConfigurationOf(configuration: Stripe.BillingPortal.Configuration): FoundPortalConfiguration {
  const { features } = configuration;
  return {
    id: configuration.id,
    active: configuration.active,
    settings: {
      subscription_update: {
        enabled: features.subscription_update.enabled,
        products: (features.subscription_update.products ?? []).map((entry) => ({
          product: entry.product,
          prices: entry.prices,
        })),
        default_allowed_updates: features.subscription_update.default_allowed_updates,
        proration_behavior: features.subscription_update.proration_behavior,
      },
      subscription_cancel: {
        enabled: features.subscription_cancel.enabled,
        mode: features.subscription_cancel.mode,
      },
      payment_method_update: { enabled: features.payment_method_update.enabled },
      invoice_history: { enabled: features.invoice_history.enabled },
      customer_update: {
        enabled: features.customer_update.enabled,
        allowed_updates: features.customer_update.allowed_updates,
      },
    },
  };
}

async function listAll<T>(list: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of list) items.push(item);
  return items;
}

/** Everything in Stripe that belongs to Tollgate's catalog: its products, meters, prices and portal configuration. */
export async function readStripeCatalog(stripe: Stripe): Promise<FoundStripeCatalog> {
  const [products, meters, prices, configurations] = await Promise.all([
    listAll(stripe.products.list({ limit: 100 })),
    listAll(stripe.billing.meters.list({ limit: 100 })),
    // Stripe leaves tiers out of price lists unless they are expanded.
    listAll(stripe.prices.list({ limit: 100, expand: ['data.tiers'] })),
    // Stripe includes the portal's products only when asked to.
    listAll(
      stripe.billingPortal.configurations.list({
        limit: 100,
        expand: ['data.features.subscription_update.products'],
      }),
    ),
  ]);
  const ourMeters: FoundMeter[] = meters
    .filter((meter) => meter.event_name.startsWith(LOOKUP_KEY_PREFIX))
    .map((meter) => ({
      id: meter.id,
      event_name: meter.event_name,
      active: meter.status === 'active',
      formula: meter.default_aggregation.formula,
    }));
  const featureByMeter = new Map(
    ourMeters.map((meter) => [meter.id, meter.event_name.slice(LOOKUP_KEY_PREFIX.length)]),
  );
  const ourPrices: FoundPrice[] = prices
    .filter((price) => price.lookup_key?.startsWith(LOOKUP_KEY_PREFIX))
    .map((price) => ({
      id: price.id,
      lookup_key: price.lookup_key,
      active: price.active,
      product: typeof price.product === 'string' ? price.product : price.product.id,
      metadata: price.metadata,
      shape: priceShapeOf(price, featureByMeter),
    }));
  const marked = configurations.filter(
    (configuration) =>
      configuration.metadata?.tollgate_portal_configuration ===
      PORTAL_CONFIGURATION_MARKER.tollgate_portal_configuration,
  );
  const portal = marked.find((configuration) => configuration.active) ?? marked[0];
  return {
    products: products
      .filter((product) => productKeyOfMetadata(product.metadata) !== null)
      .map((product) => ({
        id: product.id,
        name: product.name,
        description: product.description,
        active: product.active,
        metadata: product.metadata,
      })),
    meters: ourMeters,
    prices: ourPrices,
    portalConfiguration: portal ? portalConfigurationOf(portal) : null,
  };
}
