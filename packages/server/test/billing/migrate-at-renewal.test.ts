import { Catalog, type CatalogInput, demoCatalog } from '@tollgate/core';
import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { scheduleVersionMoves } from '../../src/billing/version-moves.js';
import { queryRows } from '../../src/db/query-rows.js';
import { describeBillingEachDatabase } from '../support/billing-harness.js';

// Yesterday's catalog sold standard at 9,900 a month; today's sells it at 12,900 and migrates at renewal.
const earlier: CatalogInput = { ...demoCatalog, billing: { migrate_at_renewal: true } };
const today: CatalogInput = {
  ...earlier,
  plans: {
    ...earlier.plans,
    standard: {
      ...demoCatalog.plans.standard,
      prices: { ...demoCatalog.plans.standard.prices, monthly: { amount: 12_900 } },
    },
  },
};

describeBillingEachDatabase(
  'billing.migrate_at_renewal for a Stripe subscriber on an earlier price',
  (harness) => {
    it('schedules the move to the current price at the period end, and the renewal bills and applies it', async () => {
      const h = harness();
      const context = h.tollgate.context;
      const before = Catalog.from(earlier);
      await h.request('POST', '/v1/organizations', { body: { id: 'loyal', name: 'Loyal Customer' } });
      const checkout = await h.request('POST', '/v1/organizations/loyal/checkout', {
        body: { plan: 'standard' },
      });
      await h.payCheckout(checkout.body.id);
      const trialing = await h.eventually(async () => {
        const response = await h.request('GET', '/v1/organizations/loyal/subscription');
        return response.body.status === 'trialing' ? response.body : undefined;
      }, 'the trial');

      // The subscriber as yesterday's catalog sold it: Stripe bills the old price, Tollgate keeps that
      // version (the server knows it, as a restart on today's catalog would, from catalog_versions).
      const subscriptionId = trialing.stripe_subscription_id as string;
      const current = await h.stripe.subscriptions.retrieve(subscriptionId);
      const planItem = current.items.data.find((item) => item.price.recurring?.usage_type !== 'metered');
      if (!planItem) throw new Error('no plan item');
      const oldPrice = await h.stripe.prices.create({
        product: planItem.price.product as string,
        currency: 'usd',
        unit_amount: 9_900,
        recurring: { interval: 'month' },
        metadata: { tollgate_plan: 'standard', tollgate_interval: 'month' },
      });
      await h.stripe.subscriptions.update(subscriptionId, {
        items: [{ id: planItem.id, price: oldPrice.id }],
        proration_behavior: 'none',
      });
      await h.eventually(async () => {
        const [row] = await queryRows<{ stripe_price_id: string }>(
          context.db,
          sql`select stripe_price_id from subscriptions where organization_id = 'loyal' and status = 'trialing'`,
        );
        return row?.stripe_price_id === oldPrice.id;
      }, 'the old price applied');
      context.catalog = context.catalog.withPlanVersions([
        { hash: before.hash, definition: before.definition },
      ]);
      await context.db.execute(
        sql`update subscriptions set catalog_hash = ${before.hash} where organization_id = 'loyal'`,
      );

      const round = await scheduleVersionMoves(context);
      expect(round).toEqual({ scheduled: ['loyal'], failed: [] });
      const scheduled = await h.request('GET', '/v1/organizations/loyal/subscription');
      expect(scheduled.body.scheduled_change).toMatchObject({ plan: 'standard', interval: 'month' });
      expect(scheduled.body.scheduled_change.at).toBe(scheduled.body.current_period_end);
      expect((await h.stripe.subscriptions.retrieve(subscriptionId)).schedule).not.toBeNull();
      // A second round finds it scheduled already.
      expect(await scheduleVersionMoves(context)).toEqual({ scheduled: [], failed: [] });

      // The trial ends: the new period is billed at today's price, and Tollgate takes today's version.
      await h.advanceClock('loyal', 15);
      const moved = await h.eventually(async () => {
        const [row] = await queryRows<{ catalog_hash: string; stripe_price_id: string; status: string }>(
          context.db,
          sql`select catalog_hash, stripe_price_id, status from subscriptions
              where organization_id = 'loyal' and status = 'active'`,
        );
        return row?.catalog_hash === context.catalog.hash ? row : undefined;
      }, 'the move at renewal');
      expect(moved.stripe_price_id).not.toBe(oldPrice.id);
      const history = await h.request('GET', '/v1/organizations/loyal/subscription/history');
      expect(history.body.data.map((entry: { change: string }) => entry.change)).toContain('price_changed');
      const invoices = await h.request('GET', '/v1/organizations/loyal/invoices?status=paid');
      const renewal = invoices.body.data.find((invoice: { subtotal: number }) => invoice.subtotal > 0);
      expect(renewal?.subtotal).toBe(12_900);
      const after = await h.request('GET', '/v1/organizations/loyal/subscription');
      expect(after.body.scheduled_change).toBeNull();
    });
  },
  { catalog: today },
);
