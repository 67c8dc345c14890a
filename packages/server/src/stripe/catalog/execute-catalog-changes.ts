import { createHash, randomUUID } from 'node:crypto';
import {
  type CatalogChange,
  type CatalogSyncPlan,
  type DesiredPortal,
  type DesiredPrice,
  type ResolvedStripeIds,
  stableJson,
} from '@tollgate/core';
import Stripe from 'stripe';
import { PORTAL_CONFIGURATION_MARKER } from './read-stripe-catalog.js';

/**
 * A create's idempotency key is derived from what it creates (and the price it replaces), so two
 * processes syncing the same catalog at once create each object once. An update's key also names the
 * run: archiving, reactivating and archiving the same price again within Stripe's 24 hours must not
 * be answered from Stripe's memory of the first call.
 */
function idempotencyKey(change: CatalogChange, params: unknown, runId: string): string {
  const isCreate = change.kind.startsWith('create_');
  const digest = createHash('sha256')
    .update(stableJson({ change, params, run: isCreate ? null : runId }))
    .digest('hex')
    .slice(0, 40);
  return `tollgate_catalog_${change.kind}_${digest}`;
}

function required(ids: Record<string, string>, key: string, what: string): string {
  const id = ids[key];
  if (!id) throw new Error(`catalog sync: no ${what} "${key}" was found or created before it was needed`);
  return id;
}

function priceParams(price: DesiredPrice, ids: ResolvedStripeIds): Stripe.PriceCreateParams {
  const { shape } = price;
  const params: Stripe.PriceCreateParams = {
    currency: shape.currency,
    product: required(ids.products, price.product_key, 'product'),
    lookup_key: price.lookup_key,
    // Moves the key from whichever price holds it, including one made outside Tollgate.
    transfer_lookup_key: true,
    nickname: price.nickname,
    metadata: price.metadata,
    tax_behavior: shape.tax_behavior,
    billing_scheme: shape.billing_scheme,
  };
  if (shape.recurring) {
    params.recurring = {
      interval: shape.recurring.interval,
      usage_type: shape.recurring.usage_type,
      ...(shape.meter_feature !== null && { meter: required(ids.meters, shape.meter_feature, 'meter') }),
    };
  }
  if (shape.unit_amount_decimal !== null)
    params.unit_amount_decimal = Stripe.Decimal.from(shape.unit_amount_decimal);
  if (shape.tiers) {
    params.tiers_mode = 'graduated';
    params.tiers = shape.tiers.map((tier) => ({
      up_to: tier.up_to ?? 'inf',
      unit_amount_decimal: Stripe.Decimal.from(tier.unit_amount_decimal),
      ...(tier.flat_amount > 0 && { flat_amount: tier.flat_amount }),
    }));
  }
  if (shape.transform_quantity) params.transform_quantity = shape.transform_quantity;
  return params;
}

function portalFeatures(
  portal: DesiredPortal,
  ids: ResolvedStripeIds,
): Stripe.BillingPortal.ConfigurationCreateParams.Features {
  const products = portal.products.map((entry) => ({
    product: required(ids.products, entry.product_key, 'product'),
    prices: entry.lookup_keys.map((key) => required(ids.prices, key, 'price')),
  }));
  return {
    subscription_update:
      products.length > 0
        ? {
            enabled: true,
            products,
            default_allowed_updates: ['price'],
            proration_behavior: 'create_prorations',
          }
        : { enabled: false },
    subscription_cancel: { enabled: true, mode: 'at_period_end' },
    payment_method_update: { enabled: true },
    invoice_history: { enabled: true },
    customer_update: { enabled: true, allowed_updates: ['email', 'address', 'tax_id'] },
  };
}

/**
 * Applies a plan in its order (products, meters, prices, archives, portal), each call with an
 * idempotency key, and returns the ids Stripe ends with. A failure stops the run; the next run
 * plans again from what Stripe then holds.
 */
export async function executeCatalogChanges(
  stripe: Stripe,
  plan: CatalogSyncPlan,
): Promise<ResolvedStripeIds> {
  const ids: ResolvedStripeIds = structuredClone(plan.resolved);
  const runId = randomUUID();
  for (const change of plan.changes) {
    const options = (params: unknown) => ({ idempotencyKey: idempotencyKey(change, params, runId) });
    switch (change.kind) {
      case 'create_product': {
        const { product } = change;
        const params: Stripe.ProductCreateParams = {
          name: product.name,
          metadata: product.metadata,
          ...(product.description !== null && { description: product.description }),
        };
        ids.products[product.key] = (await stripe.products.create(params, options(params))).id;
        break;
      }
      case 'update_product': {
        const params: Stripe.ProductUpdateParams = {
          ...(change.set.name !== undefined && { name: change.set.name }),
          ...(change.set.description !== undefined && { description: change.set.description ?? '' }),
          ...(change.set.active && { active: true }),
        };
        await stripe.products.update(change.product_id, params, options(params));
        break;
      }
      case 'create_meter': {
        const params: Stripe.Billing.MeterCreateParams = {
          display_name: change.meter.display_name,
          event_name: change.meter.event_name,
          default_aggregation: { formula: change.meter.formula },
          customer_mapping: { type: 'by_id', event_payload_key: 'stripe_customer_id' },
          value_settings: { event_payload_key: 'value' },
        };
        ids.meters[change.meter.feature] = (await stripe.billing.meters.create(params, options(params))).id;
        break;
      }
      case 'reactivate_meter':
        await stripe.billing.meters.reactivate(change.meter_id, {}, options({}));
        break;
      case 'create_price': {
        const params = priceParams(change.price, ids);
        // The change holds every amount as text; the key adds the ids it resolved to.
        const references = { product: params.product, meter: params.recurring?.meter ?? null };
        ids.prices[change.price.lookup_key] = (await stripe.prices.create(params, options(references))).id;
        break;
      }
      case 'activate_price':
      case 'archive_price': {
        const params = { active: change.kind === 'activate_price' };
        await stripe.prices.update(change.price_id, params, options(params));
        break;
      }
      case 'create_portal_configuration': {
        const params: Stripe.BillingPortal.ConfigurationCreateParams = {
          name: 'Tollgate catalog',
          features: portalFeatures(change.portal, ids),
          metadata: PORTAL_CONFIGURATION_MARKER,
        };
        ids.portal_configuration = (
          await stripe.billingPortal.configurations.create(params, options(params))
        ).id;
        break;
      }
      case 'update_portal_configuration': {
        const params: Stripe.BillingPortal.ConfigurationUpdateParams = {
          active: true,
          features: portalFeatures(change.portal, ids),
        };
        await stripe.billingPortal.configurations.update(change.configuration_id, params, options(params));
        ids.portal_configuration = change.configuration_id;
        break;
      }
    }
  }
  return ids;
}
