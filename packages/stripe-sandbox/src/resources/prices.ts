import type Stripe from 'stripe';
import { errors } from '../http/errors.js';
import { inRange, type ListParams, listParams, paginate } from '../http/list.js';
import {
  any,
  arr,
  bool,
  decimal,
  int,
  metadata,
  obj,
  oneOf,
  required,
  type Spec,
  str,
  validateParams,
} from '../http/params.js';
import type { Router } from '../http/router.js';
import { matchesSearch, parseSearchQuery, searchResult } from '../http/search.js';
import type { Sandbox } from '../sandbox.js';
import { newId } from '../state/ids.js';
import type { Wire } from '../wire.js';
import { mergeMetadata, previousAttributes } from './common.js';
import { createProduct } from './products.js';

export type Price = Wire<Stripe.Price>;

const tierSpec = obj({
  up_to: required(str()),
  unit_amount: int(),
  unit_amount_decimal: decimal(),
  flat_amount: int(),
  flat_amount_decimal: decimal(),
});

const createSpec: Record<string, Spec> = {
  currency: required(str()),
  product: str(),
  product_data: obj({
    name: required(str()),
    metadata: metadata(),
    tax_code: str(),
    unit_label: str(),
    active: bool(),
  }),
  unit_amount: int(),
  unit_amount_decimal: decimal(),
  recurring: obj({
    interval: required(oneOf(['day', 'week', 'month', 'year'])),
    interval_count: int(),
    usage_type: oneOf(['licensed', 'metered']),
    meter: str(),
    trial_period_days: int(),
  }),
  lookup_key: str(),
  transfer_lookup_key: bool(),
  nickname: str(),
  metadata: metadata(),
  active: bool(),
  billing_scheme: oneOf(['per_unit', 'tiered']),
  tiers: arr(tierSpec),
  tiers_mode: oneOf(['graduated', 'volume']),
  tax_behavior: oneOf(['exclusive', 'inclusive', 'unspecified']),
  transform_quantity: obj({ divide_by: required(int()), round: required(oneOf(['up', 'down'])) }),
};

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
function claimLookupKey(sandbox: Sandbox, lookupKey: string, transfer: boolean): void {
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

interface PriceListInput extends ListParams {
  active?: boolean;
  currency?: string;
  product?: string;
  type?: string;
  lookup_keys?: string[];
  recurring?: { interval?: string; usage_type?: string; meter?: string };
  created?: unknown;
}

export function registerPrices(router: Router): void {
  router.api('POST', '/v1/prices', ({ sandbox, body }) =>
    createPrice(sandbox, validateParams<PriceInput>(createSpec, body)),
  );
  router.api('GET', '/v1/prices/search', ({ sandbox, body }) => {
    const params = validateParams<{ query: string }>(
      { query: required(str()), limit: any(), page: any() },
      body,
    );
    const clauses = parseSearchQuery(params.query);
    return searchResult(
      sandbox.store.all<Price>('prices').filter((row) => matchesSearch(row, clauses)),
      '/v1/prices/search',
    );
  });
  router.api('GET', '/v1/prices/:id', ({ sandbox, body, params }) => {
    validateParams({}, body);
    return sandbox.store.require<Price>('prices', params.id as string, 'price');
  });
  router.api('POST', '/v1/prices/:id', ({ sandbox, body, params }) => {
    const price = sandbox.store.require<Price>('prices', params.id as string, 'price');
    const input = validateParams<Partial<PriceInput>>(
      {
        active: bool(),
        metadata: metadata(),
        nickname: str({ nullable: true }),
        lookup_key: str({ nullable: true }),
        transfer_lookup_key: bool(),
        tax_behavior: oneOf(['exclusive', 'inclusive', 'unspecified']),
      },
      body,
    );
    const before = structuredClone(price);
    if (input.lookup_key) claimLookupKey(sandbox, input.lookup_key, input.transfer_lookup_key ?? false);
    if (input.lookup_key !== undefined) price.lookup_key = input.lookup_key ?? null;
    if (input.active !== undefined) price.active = input.active;
    if (input.nickname !== undefined) price.nickname = input.nickname ?? null;
    if (input.tax_behavior !== undefined) price.tax_behavior = input.tax_behavior;
    if (input.metadata !== undefined) price.metadata = mergeMetadata(price.metadata, input.metadata);
    sandbox.store.put('prices', price);
    sandbox.emit('price.updated', price, { previous: previousAttributes(before, price) });
    return price;
  });
  router.api('GET', '/v1/prices', ({ sandbox, body }) => {
    const params = validateParams<PriceListInput>(
      {
        ...listParams,
        active: bool(),
        currency: str(),
        product: str(),
        type: oneOf(['one_time', 'recurring']),
        lookup_keys: arr(str()),
        recurring: obj({ interval: str(), usage_type: str(), meter: str() }),
        created: any(),
      },
      body,
    );
    const rows = sandbox.store
      .all<Price>('prices')
      .filter(
        (row) =>
          (params.active === undefined || row.active === params.active) &&
          (params.currency === undefined || row.currency === params.currency) &&
          (params.product === undefined || row.product === params.product) &&
          (params.type === undefined || row.type === params.type) &&
          (params.lookup_keys === undefined ||
            (row.lookup_key !== null && params.lookup_keys.includes(row.lookup_key))) &&
          (params.recurring?.interval === undefined ||
            row.recurring?.interval === params.recurring.interval) &&
          (params.recurring?.usage_type === undefined ||
            row.recurring?.usage_type === params.recurring.usage_type) &&
          inRange(row.created, params.created),
      );
    return paginate(rows, params, '/v1/prices');
  });
}
