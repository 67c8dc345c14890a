import {
  type DesiredMeter,
  type DesiredPortal,
  type DesiredPrice,
  type DesiredProduct,
  type DesiredStripeCatalog,
  type ProductKey,
  productKeyOfMetadata,
} from './stripe-catalog.js';
import { LOOKUP_KEY_PREFIX, STRIPE_METADATA } from './stripe-lookup-keys.js';
import { type StripePriceShape, samePriceShape } from './stripe-price-shape.js';

/** Stripe's objects as the sync reads them, reduced to what decides a change. */
export type FoundProduct = {
  id: string;
  name: string;
  description: string | null;
  active: boolean;
  metadata: Record<string, string>;
};
export type FoundPrice = {
  id: string;
  lookup_key: string | null;
  active: boolean;
  product: string;
  metadata: Record<string, string>;
  /** null when the price has a form Tollgate never creates (it is then replaced). */
  shape: StripePriceShape | null;
};
export type FoundMeter = { id: string; event_name: string; active: boolean; formula: string };

/** The portal settings the sync keeps; ids are Stripe's. */
export type PortalSettings = {
  subscription_update: {
    enabled: boolean;
    products: { product: string; prices: string[] }[];
    default_allowed_updates: string[];
    proration_behavior: string;
  };
  subscription_cancel: { enabled: boolean; mode: string };
  payment_method_update: { enabled: boolean };
  invoice_history: { enabled: boolean };
  customer_update: { enabled: boolean; allowed_updates: string[] };
};
export type FoundPortalConfiguration = { id: string; active: boolean; settings: PortalSettings };

export type FoundStripeCatalog = {
  products: FoundProduct[];
  prices: FoundPrice[];
  meters: FoundMeter[];
  /** The configuration Tollgate made (found by its metadata marker), if any. */
  portalConfiguration: FoundPortalConfiguration | null;
};

export type CatalogChange =
  | { kind: 'create_product'; product: DesiredProduct }
  | {
      kind: 'update_product';
      product_id: string;
      product_key: ProductKey;
      set: { name?: string; description?: string | null; active?: true };
    }
  | { kind: 'create_meter'; meter: DesiredMeter }
  | { kind: 'reactivate_meter'; meter_id: string; event_name: string }
  | {
      kind: 'create_price';
      price: DesiredPrice;
      /** The price that holds the lookup key now; the key moves to the new price. */
      replaces: string | null;
    }
  | { kind: 'activate_price'; price_id: string; lookup_key: string }
  | { kind: 'archive_price'; price_id: string; lookup_key: string; reason: 'replaced' | 'retired' }
  | { kind: 'create_portal_configuration'; portal: DesiredPortal }
  | { kind: 'update_portal_configuration'; configuration_id: string; portal: DesiredPortal };

/** Ids of the objects that stay as they are; the executor adds the ones it creates. */
export type ResolvedStripeIds = {
  products: Record<ProductKey, string>;
  meters: Record<string, string>;
  prices: Record<string, string>;
  portal_configuration: string | null;
};

export type CatalogSyncPlan = {
  changes: CatalogChange[];
  resolved: ResolvedStripeIds;
  /** Things the sync will not fix by itself, for the operator to read. */
  notes: string[];
};

/** The portal features every Tollgate configuration has; `products` is filled from the catalog. */
export function portalSettingsFor(products: { product: string; prices: string[] }[]): PortalSettings {
  return {
    subscription_update: {
      enabled: products.length > 0,
      products,
      default_allowed_updates: ['price'],
      proration_behavior: 'create_prorations',
    },
    subscription_cancel: { enabled: true, mode: 'at_period_end' },
    payment_method_update: { enabled: true },
    invoice_history: { enabled: true },
    customer_update: { enabled: true, allowed_updates: ['email', 'address', 'tax_id'] },
  };
}

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().join('\u0000') === [...b].sort().join('\u0000');

function samePortalSettings(a: PortalSettings, b: PortalSettings): boolean {
  const productsOf = (settings: PortalSettings) =>
    settings.subscription_update.products.map(
      (entry) => `${entry.product}:${[...entry.prices].sort().join(',')}`,
    );
  return (
    a.subscription_update.enabled === b.subscription_update.enabled &&
    sameSet(productsOf(a), productsOf(b)) &&
    sameSet(a.subscription_update.default_allowed_updates, b.subscription_update.default_allowed_updates) &&
    a.subscription_update.proration_behavior === b.subscription_update.proration_behavior &&
    a.subscription_cancel.enabled === b.subscription_cancel.enabled &&
    a.subscription_cancel.mode === b.subscription_cancel.mode &&
    a.payment_method_update.enabled === b.payment_method_update.enabled &&
    a.invoice_history.enabled === b.invoice_history.enabled &&
    a.customer_update.enabled === b.customer_update.enabled &&
    sameSet(a.customer_update.allowed_updates, b.customer_update.allowed_updates)
  );
}

/** Oldest active first, so that duplicates left by an interrupted run resolve the same way each time. */
function preferActive<T extends { active: boolean }>(candidates: T[]): T | undefined {
  return candidates.find((candidate) => candidate.active) ?? candidates[0];
}

function planProducts(desired: DesiredProduct[], found: FoundProduct[], plan: CatalogSyncPlan) {
  for (const product of desired) {
    const existing = preferActive(
      found.filter((candidate) => productKeyOfMetadata(candidate.metadata) === product.key),
    );
    if (!existing) {
      plan.changes.push({ kind: 'create_product', product });
      continue;
    }
    plan.resolved.products[product.key] = existing.id;
    const set: { name?: string; description?: string | null; active?: true } = {};
    if (existing.name !== product.name) set.name = product.name;
    if ((existing.description || null) !== product.description) set.description = product.description;
    if (!existing.active) set.active = true;
    if (Object.keys(set).length > 0) {
      plan.changes.push({ kind: 'update_product', product_id: existing.id, product_key: product.key, set });
    }
  }
}

function planMeters(desired: DesiredMeter[], found: FoundMeter[], plan: CatalogSyncPlan) {
  for (const meter of desired) {
    const existing = preferActive(found.filter((candidate) => candidate.event_name === meter.event_name));
    if (!existing) {
      plan.changes.push({ kind: 'create_meter', meter });
      continue;
    }
    plan.resolved.meters[meter.feature] = existing.id;
    if (!existing.active) {
      plan.changes.push({ kind: 'reactivate_meter', meter_id: existing.id, event_name: meter.event_name });
    }
    if (existing.formula !== meter.formula) {
      plan.notes.push(
        `meter ${existing.id} (${meter.event_name}) aggregates with "${existing.formula}" but the catalog needs "${meter.formula}"; Stripe meters cannot change their formula: deactivate it in Stripe and run the sync again`,
      );
    }
  }
}

function planPrices(desired: DesiredPrice[], found: FoundPrice[], plan: CatalogSyncPlan) {
  const byLookupKey = new Map(
    found.filter((price) => price.lookup_key !== null).map((price) => [price.lookup_key as string, price]),
  );
  const wanted = new Set(desired.map((price) => price.lookup_key));
  for (const price of desired) {
    const existing = byLookupKey.get(price.lookup_key);
    const productId = plan.resolved.products[price.product_key];
    const meterReady = price.shape.meter_feature === null || plan.resolved.meters[price.shape.meter_feature];
    const current =
      existing?.shape &&
      productId !== undefined &&
      existing.product === productId &&
      meterReady &&
      samePriceShape(existing.shape, price.shape);
    if (existing && current) {
      plan.resolved.prices[price.lookup_key] = existing.id;
      if (!existing.active) {
        plan.changes.push({ kind: 'activate_price', price_id: existing.id, lookup_key: price.lookup_key });
      }
      continue;
    }
    plan.changes.push({ kind: 'create_price', price, replaces: existing?.id ?? null });
    if (existing?.active) {
      plan.changes.push({
        kind: 'archive_price',
        price_id: existing.id,
        lookup_key: price.lookup_key,
        reason: 'replaced',
      });
    }
  }
  // Prices of plans, packs or overages no longer in the catalog stop being sold; their subscribers keep them.
  for (const [lookupKey, price] of byLookupKey) {
    if (wanted.has(lookupKey) || !price.active || !lookupKey.startsWith(LOOKUP_KEY_PREFIX)) continue;
    if (!price.metadata[STRIPE_METADATA.plan] && !price.metadata[STRIPE_METADATA.creditPack]) continue;
    plan.changes.push({
      kind: 'archive_price',
      price_id: price.id,
      lookup_key: lookupKey,
      reason: 'retired',
    });
  }
}

function planPortal(
  desired: DesiredStripeCatalog,
  found: FoundPortalConfiguration | null,
  plan: CatalogSyncPlan,
) {
  if (!found) {
    plan.changes.push({ kind: 'create_portal_configuration', portal: desired.portal });
    return;
  }
  plan.resolved.portal_configuration = found.id;
  const products: { product: string; prices: string[] }[] = [];
  for (const entry of desired.portal.products) {
    const product = plan.resolved.products[entry.product_key];
    const prices = entry.lookup_keys.map((key) => plan.resolved.prices[key]);
    // A product or price created by this run is new to the configuration, which must then change.
    if (!product || prices.some((price) => price === undefined)) {
      plan.changes.push({
        kind: 'update_portal_configuration',
        configuration_id: found.id,
        portal: desired.portal,
      });
      return;
    }
    products.push({ product, prices: prices as string[] });
  }
  if (!found.active || !samePortalSettings(found.settings, portalSettingsFor(products))) {
    plan.changes.push({
      kind: 'update_portal_configuration',
      configuration_id: found.id,
      portal: desired.portal,
    });
  }
}

/**
 * What must change in Stripe for it to sell the catalog: products created or renamed, meters
 * created, prices created where none matches (the lookup key moves to the new price and the old one
 * is archived; its subscribers keep it), prices of retired plans archived, the portal configuration
 * created or updated. Pure; an empty list means Stripe already matches.
 */
export function planStripeCatalogSync(
  desired: DesiredStripeCatalog,
  found: FoundStripeCatalog,
): CatalogSyncPlan {
  const plan: CatalogSyncPlan = {
    changes: [],
    resolved: { products: {}, meters: {}, prices: {}, portal_configuration: null },
    notes: [...desired.problems],
  };
  planProducts(desired.products, found.products, plan);
  planMeters(desired.meters, found.meters, plan);
  planPrices(desired.prices, found.prices, plan);
  planPortal(desired, found.portalConfiguration, plan);
  return plan;
}
