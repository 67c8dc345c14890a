import type Stripe from 'stripe';
import { errors } from '../http/errors.js';
import type { Sandbox } from '../sandbox.js';
import { newId } from '../state/ids.js';
import type { Wire } from '../wire.js';
import { mergeMetadata } from './common.js';
import { createProduct } from './product-create.js';

export type Price = Wire<Stripe.Price>;

interface TierInput {
  up_to: string;
  unit_amount?: number;
  unit_amount_decimal?: string;
  flat_amount?: number;
  flat_amount_decimal?: string;
}

export interface PriceInput {
  currency: string;
  product?: string;
  product_data?: {
    name: string;
    metadata?: Record<string, string | null>;
    tax_code?: string;
    unit_label?: string;
  };
  unit_amount?: number;
  unit_amount_decimal?: string;
  recurring?: {
    interval: Stripe.Price.Recurring.Interval;
    interval_count?: number;
    usage_type?: Stripe.Price.Recurring.UsageType;
    meter?: string;
    trial_period_days?: number;
  };
  lookup_key?: string;
  transfer_lookup_key?: boolean;
  nickname?: string;
  metadata?: Record<string, string | null> | null;
  active?: boolean;
  billing_scheme?: Stripe.Price.BillingScheme;
  tiers?: TierInput[];
  tiers_mode?: Stripe.Price.TiersMode;
  tax_behavior?: Stripe.Price.TaxBehavior;
  transform_quantity?: { divide_by: number; round: 'up' | 'down' };
}

function toTier(tier: TierInput, index: number): Wire<Stripe.Price.Tier> {
  const upTo = tier.up_to === 'inf' ? null : Number(tier.up_to);
  if (upTo !== null && !Number.isInteger(upTo))
    throw errors.invalidInteger(`tiers[${index}][up_to]`, tier.up_to);
  const unitDecimal =
    tier.unit_amount_decimal ?? (tier.unit_amount !== undefined ? String(tier.unit_amount) : null);
  const flatDecimal =
    tier.flat_amount_decimal ?? (tier.flat_amount !== undefined ? String(tier.flat_amount) : null);
  return {
    flat_amount: tier.flat_amount ?? (flatDecimal && /^\d+$/.test(flatDecimal) ? Number(flatDecimal) : null),
    flat_amount_decimal: flatDecimal,
    unit_amount: tier.unit_amount ?? (unitDecimal && /^\d+$/.test(unitDecimal) ? Number(unitDecimal) : null),
    unit_amount_decimal: unitDecimal,
    up_to: upTo,
  };
}

/** Lookup keys are unique; `transfer_lookup_key` moves the key from the price that holds it. */
export function claimLookupKey(sandbox: Sandbox, lookupKey: string, transfer: boolean): void {
  const holder = sandbox.store.all<Price>('prices').find((price) => price.lookup_key === lookupKey);
  if (!holder) return;
  if (!transfer) {
    throw errors.invalidValue(
      'lookup_key',
      `A price (\`${holder.id}\`) already uses that lookup key. Set transfer_lookup_key to move it.`,
    );
  }
  holder.lookup_key = null;
  sandbox.store.put('prices', holder);
}

export function createPrice(sandbox: Sandbox, input: PriceInput): Price {
  if (!input.product && !input.product_data) throw errors.missingParameter('product');
  const productId = input.product
    ? sandbox.store.require<{ id: string }>('products', input.product, 'product', 'product').id
    : createProduct(sandbox, input.product_data as { name: string }).id;
  const scheme = input.billing_scheme ?? 'per_unit';
  if (scheme === 'tiered' && (!input.tiers || !input.tiers_mode)) throw errors.missingParameter('tiers');
  if (scheme === 'per_unit' && input.unit_amount === undefined && input.unit_amount_decimal === undefined) {
    throw errors.missingParameter('unit_amount');
  }
  const usageType = input.recurring?.usage_type ?? 'licensed';
  if (usageType === 'metered' && !input.recurring?.meter) throw errors.missingParameter('recurring[meter]');
  if (input.recurring?.meter)
    sandbox.store.require('billing_meters', input.recurring.meter, 'billing meter', 'recurring[meter]');
  if (input.lookup_key) claimLookupKey(sandbox, input.lookup_key, input.transfer_lookup_key ?? false);
  const unitDecimal =
    input.unit_amount_decimal ?? (input.unit_amount !== undefined ? String(input.unit_amount) : null);
  const price: Price = {
    id: newId('price'),
    object: 'price',
    active: input.active ?? true,
    billing_scheme: scheme,
    created: sandbox.now(),
    currency: input.currency.toLowerCase(),
    custom_unit_amount: null,
    livemode: false,
    lookup_key: input.lookup_key ?? null,
    metadata: mergeMetadata({}, input.metadata),
    nickname: input.nickname ?? null,
    product: productId,
    recurring: input.recurring
      ? {
          interval: input.recurring.interval,
          interval_count: input.recurring.interval_count ?? 1,
          meter: input.recurring.meter ?? null,
          trial_period_days: input.recurring.trial_period_days ?? null,
          usage_type: usageType,
        }
      : null,
    tax_behavior: input.tax_behavior ?? 'unspecified',
    tiers_mode: input.tiers_mode ?? null,
    transform_quantity: input.transform_quantity ?? null,
    type: input.recurring ? 'recurring' : 'one_time',
    unit_amount: input.unit_amount ?? (unitDecimal && /^\d+$/.test(unitDecimal) ? Number(unitDecimal) : null),
    unit_amount_decimal: unitDecimal,
  };
  if (scheme === 'tiered') price.tiers = (input.tiers ?? []).map(toTier);
  sandbox.store.insert('prices', price);
  sandbox.emit('price.created', price);
  return price;
}
