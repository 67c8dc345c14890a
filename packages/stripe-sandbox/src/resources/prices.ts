import { inRange, type ListParams, listParams, matchesEquals, paginate } from '../http/list.js';
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
import { registerSearchRoute } from '../http/search.js';
import { mergeMetadata, previousAttributes } from './common.js';
import { claimLookupKey, createPrice, type Price, type PriceInput } from './price-create.js';

export type { Price } from './price-create.js';

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
  registerSearchRoute(router, '/v1/prices', 'prices');
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
          matchesEquals(row, params, ['active', 'currency', 'product', 'type']) &&
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
