import { describe, expect, it } from 'vitest';
import {
  Catalog,
  type CatalogInput,
  type CatalogSyncPlan,
  checkoutPaymentMethodTypes,
  type DesiredStripeCatalog,
  demoCatalog,
  desiredStripeCatalog,
  type FoundStripeCatalog,
  overagePriceShape,
  planStripeCatalogSync,
  portalSettingsFor,
  summarizeCatalogChanges,
} from '../src/index.js';

// Edited freely by each test, then validated by Catalog.from like any catalog file.
const demo = (): any => structuredClone(demoCatalog);
const desiredFor = (input: CatalogInput) => desiredStripeCatalog(Catalog.from(input));
const EMPTY: FoundStripeCatalog = { products: [], prices: [], meters: [], portalConfiguration: null };

/** Stripe as it looks after a complete sync of `desired`: every object present with a made-up id. */
function syncedStripe(desired: DesiredStripeCatalog): FoundStripeCatalog {
  const productIds = new Map(desired.products.map((product, index) => [product.key, `prod_${index}`]));
  const meterIds = new Map(desired.meters.map((meter, index) => [meter.feature, `mtr_${index}`]));
  const priceIds = new Map(desired.prices.map((price, index) => [price.lookup_key, `price_${index}`]));
  return {
    products: desired.products.map((product) => ({
      id: productIds.get(product.key) as string,
      name: product.name,
      description: product.description,
      active: true,
      metadata: product.metadata,
    })),
    meters: desired.meters.map((meter) => ({
      id: meterIds.get(meter.feature) as string,
      event_name: meter.event_name,
      active: true,
      formula: meter.formula,
    })),
    prices: desired.prices.map((price) => ({
      id: priceIds.get(price.lookup_key) as string,
      lookup_key: price.lookup_key,
      active: true,
      product: productIds.get(price.product_key) as string,
      metadata: price.metadata,
      shape: price.shape,
    })),
    portalConfiguration: {
      id: 'bpc_1',
      active: true,
      settings: portalSettingsFor(
        desired.portal.products.map((entry) => ({
          product: productIds.get(entry.product_key) as string,
          prices: entry.lookup_keys.map((key) => priceIds.get(key) as string),
        })),
      ),
    },
  };
}

const kinds = (plan: CatalogSyncPlan) => plan.changes.map((change) => change.kind);
const createdPrice = (plan: CatalogSyncPlan, lookupKey: string) =>
  plan.changes.find((change) => change.kind === 'create_price' && change.price.lookup_key === lookupKey);

describe('the Stripe catalog a catalog needs', () => {
  it('creates everything for a new catalog: plan, overage and pack products, meters, prices, the portal', () => {
    const plan = planStripeCatalogSync(desiredFor(demoCatalog), EMPTY);
    const products = plan.changes.flatMap((change) =>
      change.kind === 'create_product' ? [change.product.key] : [],
    );
    expect(products).toEqual([
      'plan:standard',
      'feature:llm_tokens',
      'feature:agent_executions',
      'feature:api_calls',
      'feature:storage_gb',
      'feature:seats',
      'plan:enterprise',
      'pack:credits_1k',
      'pack:credits_10k',
    ]);
    const meters = plan.changes.flatMap((change) =>
      change.kind === 'create_meter' ? [`${change.meter.event_name}:${change.meter.formula}`] : [],
    );
    expect(meters).toEqual([
      'tollgate_llm_tokens:sum',
      'tollgate_agent_executions:sum',
      'tollgate_api_calls:sum',
      'tollgate_storage_gb:last',
      'tollgate_seats:last',
    ]);
    const prices = plan.changes.flatMap((change) =>
      change.kind === 'create_price' ? [change.price.lookup_key] : [],
    );
    // Free has no Stripe price; enterprise seats are unlimited, so they have no overage price.
    expect(prices.filter((key) => key.startsWith('tollgate_free'))).toEqual([]);
    expect(prices).not.toContain('tollgate_enterprise_seats_overage_month');
    expect(prices).toContain('tollgate_standard_seats_overage_year');
    expect(prices).toHaveLength(4 + 5 * 2 + 4 * 2 + 2);
    expect(createdPrice(plan, 'tollgate_standard_month')).toMatchObject({
      replaces: null,
      price: {
        product_key: 'plan:standard',
        metadata: { tollgate_plan: 'standard', tollgate_interval: 'month' },
        shape: {
          currency: 'usd',
          recurring: { interval: 'month', usage_type: 'licensed' },
          unit_amount_decimal: '9900',
          tax_behavior: 'exclusive',
        },
      },
    });
    expect(createdPrice(plan, 'tollgate_pack_credits_10k')).toMatchObject({
      price: {
        metadata: { tollgate_credit_pack: 'credits_10k' },
        shape: { recurring: null, unit_amount_decimal: '8000' },
      },
    });
    expect(kinds(plan).at(-1)).toBe('create_portal_configuration');
    expect(plan.notes).toEqual([]);
  });

  it('plans no change when Stripe already matches', () => {
    const desired = desiredFor(demoCatalog);
    const plan = planStripeCatalogSync(desired, syncedStripe(desired));
    expect(plan.changes).toEqual([]);
    expect(summarizeCatalogChanges(plan.changes)).toBe('no changes');
    expect(plan.resolved.prices.tollgate_standard_month).toBeDefined();
    expect(plan.resolved.portal_configuration).toBe('bpc_1');
  });

  it('replaces a price whose amount changed: a new price takes the lookup key and the old one is archived', () => {
    const found = syncedStripe(desiredFor(demoCatalog));
    const oldId = found.prices.find((price) => price.lookup_key === 'tollgate_standard_month')?.id;
    const changed = demo();
    changed.plans.standard.prices.monthly.amount = 10_900;
    const plan = planStripeCatalogSync(desiredFor(changed), found);
    expect(plan.changes).toEqual([
      expect.objectContaining({ kind: 'create_price', replaces: oldId }),
      { kind: 'archive_price', price_id: oldId, lookup_key: 'tollgate_standard_month', reason: 'replaced' },
      expect.objectContaining({ kind: 'update_portal_configuration', configuration_id: 'bpc_1' }),
    ]);
    expect(createdPrice(plan, 'tollgate_standard_month')).toMatchObject({
      price: { shape: { unit_amount_decimal: '10900' } },
    });
    expect(summarizeCatalogChanges(plan.changes)).toBe(
      '3 changes: 1 create price, 1 archive price, 1 update portal configuration',
    );
  });

  it('replaces prices when the currency or the tax behaviour changes', () => {
    const found = syncedStripe(desiredFor(demoCatalog));
    const euro = demo();
    euro.currency = 'eur';
    const plan = planStripeCatalogSync(desiredFor(euro), found);
    expect(kinds(plan).filter((kind) => kind === 'create_price')).toHaveLength(found.prices.length);
    const untaxed = demo();
    untaxed.billing = { automatic_tax: false };
    expect(
      createdPrice(planStripeCatalogSync(desiredFor(untaxed), found), 'tollgate_pack_credits_1k'),
    ).toMatchObject({
      price: { shape: { tax_behavior: 'unspecified' } },
    });
  });

  it('renames a product in place, without touching its prices', () => {
    const found = syncedStripe(desiredFor(demoCatalog));
    const renamed = demo();
    renamed.plans.standard.name = 'Team';
    renamed.plans.standard.description = '';
    const plan = planStripeCatalogSync(desiredFor(renamed), found);
    expect(plan.changes).toEqual([
      {
        kind: 'update_product',
        product_id: found.products[0]?.id,
        product_key: 'plan:standard',
        set: { name: 'Team', description: null },
      },
    ]);
  });

  it('archives the prices of a plan removed from the catalog; its product stays for its subscribers', () => {
    const found = syncedStripe(desiredFor(demoCatalog));
    const without = demo();
    delete without.plans.enterprise;
    delete without.plans.standard.upgrade_to;
    const plan = planStripeCatalogSync(desiredFor(without), found);
    const archived = plan.changes.flatMap((change) => (change.kind === 'archive_price' ? [change] : []));
    expect(archived.every((change) => change.reason === 'retired')).toBe(true);
    expect(archived.map((change) => change.lookup_key)).toContain('tollgate_enterprise_year');
    expect(archived).toHaveLength(2 + 4 * 2);
    expect(kinds(plan)).toContain('update_portal_configuration');
    expect(kinds(plan)).not.toContain('create_price');
  });

  it('reactivates an archived product, meter and price that the catalog needs again', () => {
    const found = syncedStripe(desiredFor(demoCatalog));
    for (const object of [found.products[0], found.meters[0], found.prices[0]])
      if (object) object.active = false;
    expect(kinds(planStripeCatalogSync(desiredFor(demoCatalog), found))).toEqual([
      'update_product',
      'reactivate_meter',
      'activate_price',
    ]);
  });

  it('creates a metered price anew when its meter must be created, and notes a meter with the wrong formula', () => {
    const found = syncedStripe(desiredFor(demoCatalog));
    const withoutMeter = {
      ...found,
      meters: found.meters.filter((meter) => meter.event_name !== 'tollgate_api_calls'),
    };
    const plan = planStripeCatalogSync(desiredFor(demoCatalog), withoutMeter);
    expect(kinds(plan).filter((kind) => kind === 'create_meter')).toEqual(['create_meter']);
    expect(plan.changes.filter((change) => change.kind === 'create_price')).toHaveLength(4);
    const wrongFormula = structuredClone(found);
    const storage = wrongFormula.meters.find((meter) => meter.event_name === 'tollgate_storage_gb');
    if (storage) storage.formula = 'sum';
    const noted = planStripeCatalogSync(desiredFor(demoCatalog), wrongFormula);
    expect(noted.changes).toEqual([]);
    expect(noted.notes).toEqual([expect.stringContaining('tollgate_storage_gb')]);
  });

  it('syncs the portal when a setting drifted', () => {
    const found = syncedStripe(desiredFor(demoCatalog));
    if (found.portalConfiguration)
      found.portalConfiguration.settings.subscription_cancel.mode = 'immediately';
    expect(kinds(planStripeCatalogSync(desiredFor(demoCatalog), found))).toEqual([
      'update_portal_configuration',
    ]);
  });
});

describe('overage prices in Stripe', () => {
  it('prices per unit past the included quantity with a free first tier', () => {
    expect(overagePriceShape('100000', { model: 'per_unit', unit_amount: '0.1' })).toEqual({
      ok: true,
      shape: {
        billing_scheme: 'tiered',
        unit_amount_decimal: null,
        tiers: [
          { up_to: 100_000, unit_amount_decimal: '0', flat_amount: 0 },
          { up_to: null, unit_amount_decimal: '0.1', flat_amount: 0 },
        ],
        transform_quantity: null,
      },
    });
    expect(overagePriceShape('0', { model: 'per_unit', unit_amount: '10' })).toMatchObject({
      shape: { billing_scheme: 'per_unit', unit_amount_decimal: '10', tiers: null },
    });
  });

  it('prices packages with transform_quantity when nothing is included, and per unit past an included quantity', () => {
    expect(
      overagePriceShape('0', { model: 'package', package_size: 1000, package_amount: '1' }),
    ).toMatchObject({
      shape: {
        billing_scheme: 'per_unit',
        unit_amount_decimal: '1',
        transform_quantity: { divide_by: 1000, round: 'up' },
      },
    });
    expect(
      overagePriceShape('1000000', { model: 'package', package_size: 1000, package_amount: '0.5' }),
    ).toMatchObject({
      shape: {
        billing_scheme: 'tiered',
        tiers: [
          { up_to: 1_000_000, unit_amount_decimal: '0' },
          { up_to: null, unit_amount_decimal: '0.0005' },
        ],
      },
    });
    const inexact = overagePriceShape('10', { model: 'package', package_size: 3, package_amount: '1' });
    expect(inexact).toMatchObject({ ok: false, problem: expect.stringContaining('package of 3') });
  });

  it('moves graduated catalog tiers up by the included quantity, keeping flat amounts', () => {
    const result = overagePriceShape('500', {
      model: 'graduated',
      tiers: [
        { up_to: 1000, unit_amount: '2', flat_amount: 100 },
        { up_to: null, unit_amount: '1.5', flat_amount: 0 },
      ],
    });
    expect(result).toMatchObject({
      shape: {
        tiers: [
          { up_to: 500, unit_amount_decimal: '0', flat_amount: 0 },
          { up_to: 1500, unit_amount_decimal: '2', flat_amount: 100 },
          { up_to: null, unit_amount_decimal: '1.5', flat_amount: 0 },
        ],
      },
    });
  });

  it('reports what Stripe cannot hold instead of rounding it', () => {
    expect(overagePriceShape('1.5', { model: 'per_unit', unit_amount: '1' })).toMatchObject({ ok: false });
    expect(overagePriceShape('0', { model: 'per_unit', unit_amount: '0.0000000000001' })).toMatchObject({
      ok: false,
    });
    const catalog = demo();
    catalog.plans.standard.features.api_calls = {
      included: '10.5',
      cap: 'soft',
      overage: { model: 'per_unit', unit_amount: '1' },
    };
    const desired = desiredFor(catalog);
    expect(desired.problems).toEqual([expect.stringContaining('plan "standard", feature "api_calls"')]);
    expect(desired.prices.map((price) => price.lookup_key)).not.toContain(
      'tollgate_standard_api_calls_overage_month',
    );
  });

  it('treats decimals written differently as the same price', () => {
    const desired = desiredFor(demoCatalog);
    const found = syncedStripe(desired);
    for (const price of found.prices) {
      if (price.shape?.unit_amount_decimal)
        price.shape = { ...price.shape, unit_amount_decimal: `${price.shape.unit_amount_decimal}.000` };
    }
    expect(planStripeCatalogSync(desired, found).changes).toEqual([]);
  });
});

describe('payment methods by catalog setting', () => {
  it('offers card and ACH always, then the catalog methods once each', () => {
    expect(checkoutPaymentMethodTypes(Catalog.from(demoCatalog))).toEqual(['card', 'us_bank_account']);
    const catalog = demo();
    catalog.billing = { payment_methods: ['sepa_debit', 'card', 'ideal'] };
    expect(checkoutPaymentMethodTypes(Catalog.from(catalog))).toEqual([
      'card',
      'us_bank_account',
      'sepa_debit',
      'ideal',
    ]);
    expect(Catalog.from(catalog).definition.billing).toEqual({
      payment_methods: ['sepa_debit', 'card', 'ideal'],
      automatic_tax: true,
      migrate_at_renewal: false,
    });
  });

  it('offers ACH only with US dollars, and refuses unknown or repeated methods', () => {
    const euro = demo();
    euro.currency = 'eur';
    euro.billing = { payment_methods: ['sepa_debit'] };
    expect(checkoutPaymentMethodTypes(Catalog.from(euro))).toEqual(['card', 'sepa_debit']);
    euro.billing = { payment_methods: ['us_bank_account'] };
    expect(() => Catalog.from(euro)).toThrow(/billing\.payment_methods: us_bank_account/);
    const bad = demo();
    bad.billing = { payment_methods: ['carrier_pigeon'] };
    expect(() => Catalog.parse(bad)).toThrow(/billing\.payment_methods\[0\]/);
    bad.billing = { payment_methods: ['ideal', 'ideal'] };
    expect(() => Catalog.parse(bad)).toThrow(/must not repeat/);
  });
});
