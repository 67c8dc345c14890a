import { Catalog, demoCatalog } from '@tollgate/core';
import { expect, it } from 'vitest';
import {
  stripePortalConfigurationId,
  stripePriceIdFor,
} from '../../src/stripe/catalog/stripe-catalog-ids.js';
import {
  syncAndStoreStripeCatalog,
  syncStripeCatalog,
} from '../../src/stripe/catalog/sync-stripe-catalog.js';
import { readSyncedCatalog, storeSyncedCatalog } from '../../src/stripe/catalog/synced-catalog-store.js';
import { describeEachDatabase } from '../support/harness.js';
import { sandboxGateway } from './sandbox-gateway.js';

const stripe = sandboxGateway();
const catalog = Catalog.from(demoCatalog);
const DEMO_CHANGES = 9 + 5 + 24 + 1;

const priceByKey = async (lookupKey: string) => {
  const { data } = await stripe.gateway.stripe.prices.list({
    lookup_keys: [lookupKey],
    expand: ['data.tiers'],
  });
  return data[0];
};

describeEachDatabase(
  'Stripe catalog sync through the SDK',
  (harness) => {
    stripe.useFreshSandbox();
    const context = () => harness().tollgate.context;
    const sync = (target = catalog) =>
      syncAndStoreStripeCatalog(context().db, stripe.gateway, target, context().now);

    it('shows no Stripe price ids before any sync', async () => {
      const { body } = await harness().request('GET', '/v1/plans');
      const standard = body.plans.find((plan: any) => plan.code === 'standard');
      expect(standard.prices.monthly).toEqual({ amount: 9900, stripe_price_id: null });
      expect(body.credit_packs[0].price.stripe_price_id).toBeNull();
    });

    it('writes nothing on a dry run', async () => {
      const result = await syncStripeCatalog(stripe.gateway.stripe, catalog, { dryRun: true });
      expect(result.changes).toHaveLength(DEMO_CHANGES);
      expect(result.summary).toBe(
        '39 changes: 9 create product, 5 create meter, 24 create price, 1 create portal configuration',
      );
      expect((await stripe.gateway.stripe.products.list()).data).toEqual([]);
      expect((await stripe.gateway.stripe.prices.list()).data).toEqual([]);
      expect((await readSyncedCatalog(context().db, 'sandbox')).size).toBe(0);
    });

    it('creates products, meters and prices by lookup key, and a second run changes nothing', async () => {
      const first = await sync();
      expect(first.changes).toHaveLength(DEMO_CHANGES);
      const monthly = await priceByKey('tollgate_standard_month');
      expect(monthly).toMatchObject({
        active: true,
        currency: 'usd',
        unit_amount: 9900,
        recurring: { interval: 'month', usage_type: 'licensed' },
        metadata: { tollgate_plan: 'standard', tollgate_interval: 'month' },
        tax_behavior: 'exclusive',
      });
      const product = await stripe.gateway.stripe.products.retrieve(monthly?.product as string);
      expect(product).toMatchObject({ name: 'Standard', metadata: { tollgate_plan: 'standard' } });
      const apiCalls = await priceByKey('tollgate_standard_api_calls_overage_month');
      expect(apiCalls?.tiers_mode).toBe('graduated');
      expect(apiCalls?.tiers?.map((tier) => [tier.up_to, String(tier.unit_amount_decimal)])).toEqual([
        [100_000, '0'],
        [null, '0.1'],
      ]);
      const meters = (await stripe.gateway.stripe.billing.meters.list()).data;
      expect(meters.find((meter) => meter.id === apiCalls?.recurring?.meter)?.event_name).toBe(
        'tollgate_api_calls',
      );
      expect(
        Object.fromEntries(meters.map((meter) => [meter.event_name, meter.default_aggregation.formula])),
      ).toMatchObject({ tollgate_api_calls: 'sum', tollgate_storage_gb: 'last' });
      expect(await priceByKey('tollgate_pack_credits_1k')).toMatchObject({
        type: 'one_time',
        unit_amount: 1000,
      });

      const second = await sync();
      expect(second.changes).toEqual([]);
      expect(second.summary).toBe('no changes');
      expect(second.ids.prices.tollgate_standard_month).toBe(monthly?.id);
    });

    it('shows the synced price ids in GET /v1/plans', async () => {
      await context().stripeCatalogIds.reload();
      const { body } = await harness().request('GET', '/v1/plans');
      const standard = body.plans.find((plan: any) => plan.code === 'standard');
      const free = body.plans.find((plan: any) => plan.code === 'free');
      expect(standard.prices.monthly.stripe_price_id).toBe((await priceByKey('tollgate_standard_month'))?.id);
      expect(standard.prices.yearly.stripe_price_id).toBe((await priceByKey('tollgate_standard_year'))?.id);
      expect(standard.features.api_calls.overage.stripe_price_ids).toEqual({
        month: (await priceByKey('tollgate_standard_api_calls_overage_month'))?.id,
        year: (await priceByKey('tollgate_standard_api_calls_overage_year'))?.id,
      });
      expect(free.prices.monthly.stripe_price_id).toBeNull();
      const pack = body.credit_packs.find((entry: any) => entry.code === 'credits_10k');
      expect(pack.price).toEqual({
        amount: 8000,
        stripe_price_id: (await priceByKey('tollgate_pack_credits_10k'))?.id,
      });
    });

    it('keeps one portal configuration offering the paid plans, cancel at period end and invoices', async () => {
      const id = await stripePortalConfigurationId(context());
      const marked = (await stripe.gateway.stripe.billingPortal.configurations.list()).data.filter(
        (configuration) => configuration.metadata?.tollgate_portal_configuration === 'catalog',
      );
      expect(marked.map((configuration) => configuration.id)).toEqual([id]);
      const { features } = await stripe.gateway.stripe.billingPortal.configurations.retrieve(id as string);
      const standardMonthly = (await priceByKey('tollgate_standard_month'))?.id;
      const standardYearly = (await priceByKey('tollgate_standard_year'))?.id;
      expect(features.subscription_update).toMatchObject({
        enabled: true,
        default_allowed_updates: ['price'],
        proration_behavior: 'create_prorations',
      });
      expect(features.subscription_update.products).toHaveLength(2);
      expect(features.subscription_update.products?.[0]?.prices).toEqual([standardMonthly, standardYearly]);
      expect(features.subscription_cancel).toMatchObject({ enabled: true, mode: 'at_period_end' });
      expect(features.payment_method_update.enabled).toBe(true);
      expect(features.invoice_history.enabled).toBe(true);
      expect(features.customer_update).toMatchObject({
        enabled: true,
        allowed_updates: ['email', 'address', 'tax_id'],
      });
    });

    it('gives a changed amount a new price, moves the lookup key to it and archives the old one', async () => {
      const old = await priceByKey('tollgate_standard_month');
      const changedInput = structuredClone(demoCatalog);
      changedInput.plans.standard.prices.monthly.amount = 10_900;
      const changed = Catalog.from(changedInput);
      const result = await sync(changed);
      expect(result.lines).toEqual([
        `create price tollgate_standard_month and move the lookup key from ${old?.id}`,
        `archive price ${old?.id} (replaced; its subscribers keep it)`,
        `update portal configuration ${result.ids.portal_configuration}`,
      ]);
      const current = await priceByKey('tollgate_standard_month');
      expect(current?.id).not.toBe(old?.id);
      expect(current).toMatchObject({ unit_amount: 10_900, active: true, product: old?.product });
      expect(await stripe.gateway.stripe.prices.retrieve(old?.id as string)).toMatchObject({
        active: false,
        lookup_key: null,
      });
      expect(await stripePriceIdFor(context(), 'tollgate_standard_month')).toBe(current?.id);
      const portal = await stripe.gateway.stripe.billingPortal.configurations.retrieve(
        result.ids.portal_configuration as string,
      );
      expect(portal.features.subscription_update.products?.[0]?.prices).toContain(current?.id);
      expect((await sync(changed)).changes).toEqual([]);
    });

    it('finds a price id in Stripe when no sync stored it, and null for a key no price has', async () => {
      await storeSyncedCatalog(
        context().db,
        'sandbox',
        { products: {}, meters: {}, prices: {}, portal_configuration: null },
        context().now(),
      );
      expect(await stripePriceIdFor(context(), 'tollgate_enterprise_year')).toBe(
        (await priceByKey('tollgate_enterprise_year'))?.id,
      );
      expect(await stripePriceIdFor(context(), 'tollgate_nothing_month')).toBeNull();
      expect(await stripePortalConfigurationId(context())).toMatch(/^bpc_/);
    });
  },
  { tollgate: { stripe: stripe.gateway } },
);
