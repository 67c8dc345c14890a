import { demoCatalog } from '@tollgate/core';
import { and, eq, notInArray } from 'drizzle-orm';
import type Stripe from 'stripe';
import { expect, it } from 'vitest';
import { auditLog, subscriptions } from '../../src/db/schema/index.js';
import { syncAndStoreStripeCatalog } from '../../src/stripe/catalog/sync-stripe-catalog.js';
import { describeEachDatabase } from '../support/harness.js';
import { sandboxGateway } from './sandbox-gateway.js';

const stripe = sandboxGateway();

describeEachDatabase(
  'POST /v1/organizations/{id}/subscription/migrate',
  (harness) => {
    stripe.useFreshSandbox();
    const context = () => harness().tollgate.context;

    /** An organization whose live subscription is on `planCode`, a plan an earlier catalog had. */
    async function organizationOnRetiredPlan(id: string, planCode: string, plan?: string) {
      const created = await harness().request('POST', '/v1/organizations', {
        body: { id, name: id, ...(plan && { plan }) },
      });
      expect(created.status).toBe(201);
      await context()
        .db.update(subscriptions)
        .set({ planCode, catalogHash: 'earlier_catalog' })
        .where(
          and(
            eq(subscriptions.organizationId, id),
            notInArray(subscriptions.status, ['canceled', 'expired']),
          ),
        );
    }
    const migrate = (id: string, body: unknown = {}, token?: string | null) =>
      harness().request('POST', `/v1/organizations/${id}/subscription/migrate`, {
        body,
        ...(token !== undefined && { token }),
      });

    it('moves an organization on a manually assigned retired plan to the plan asked for', async () => {
      await organizationOnRetiredPlan('retired_manual', 'legacy_pro', 'standard');
      const response = await migrate('retired_manual', { plan: 'enterprise', interval: 'year' });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        status: 'migrated',
        organization_id: 'retired_manual',
        from_plan: 'legacy_pro',
        plan: 'enterprise',
        interval: 'year',
        source: 'manual',
        stripe_subscription_id: null,
        stripe_price_id: null,
      });
      const organization = await harness().request('GET', '/v1/organizations/retired_manual');
      expect(organization.body.plan).toBe('enterprise');
      const audit = await context()
        .db.select()
        .from(auditLog)
        .where(
          and(eq(auditLog.organizationId, 'retired_manual'), eq(auditLog.action, 'subscription.migrated')),
        );
      expect(audit).toHaveLength(1);
      expect(audit[0]?.before).toMatchObject({ plan: 'legacy_pro', catalog_hash: 'earlier_catalog' });
    });

    it('moves a retired default plan to the catalog default plan when no plan is named', async () => {
      await organizationOnRetiredPlan('retired_default', 'old_free');
      const response = await migrate('retired_default');
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        from_plan: 'old_free',
        plan: 'free',
        interval: 'month',
        source: 'default',
      });
      expect((await migrate('retired_default')).body.error.code).toBe('nothing_to_migrate');
    });

    it('refuses an unknown plan, a bad interval, an unknown organization and an organization with nothing to migrate', async () => {
      await organizationOnRetiredPlan('retired_errors', 'legacy_pro', 'standard');
      const unknownPlan = await migrate('retired_errors', { plan: 'platinum' });
      expect(unknownPlan.status).toBe(400);
      expect(unknownPlan.body.error.code).toBe('unknown_plan');
      expect(unknownPlan.body.error.message).toContain('plan "platinum"');
      const inherited = await migrate('retired_errors', { plan: 'constructor' });
      expect(inherited.status).toBe(400);
      expect(inherited.body.error.code).toBe('unknown_plan');
      expect((await migrate('retired_errors', { plan: 'pro\u0000' })).status).toBe(400);
      expect((await migrate('retired_errors', { plan: '\ud800' })).status).toBe(400);
      expect((await migrate('retired_errors', { interval: 'week' })).status).toBe(400);
      expect((await migrate('retired_errors', { plan: 'standard', extra: true })).status).toBe(400);
      expect((await migrate('nobody_here')).status).toBe(404);
      await harness().request('POST', '/v1/organizations', { body: { id: 'current_org', name: 'Current' } });
      const current = await migrate('current_org');
      expect(current.status).toBe(409);
      expect(current.body.error.code).toBe('nothing_to_migrate');
      const still = await harness().request('GET', '/v1/organizations/retired_errors');
      expect(still.body.plan).toBe('legacy_pro');
    });

    it('is for secret keys only: an organization session token gets 403, no key 401', async () => {
      await organizationOnRetiredPlan('retired_secure', 'legacy_pro', 'standard');
      const session = await harness().request('POST', '/v1/organizations/retired_secure/sessions', {
        body: {},
      });
      const forbidden = await migrate('retired_secure', { plan: 'enterprise' }, session.body.token);
      expect(forbidden.status).toBe(403);
      expect(forbidden.body.error.code).toBe('forbidden');
      expect((await migrate('retired_secure', {}, null)).status).toBe(401);
      expect((await harness().request('GET', '/v1/organizations/retired_secure')).body.plan).toBe(
        'legacy_pro',
      );
    });

    it('changes a Stripe subscriber’s items to the new plan’s prices without proration, for the webhook to apply', async () => {
      const synced = await syncAndStoreStripeCatalog(
        context().db,
        stripe.gateway,
        context().catalog,
        context().now,
      );
      const sdk = stripe.gateway.stripe;
      // A subscription sold under an earlier catalog: its own plan price and the standard overage prices.
      const legacyPrice = await sdk.prices.create({
        currency: 'usd',
        unit_amount: 4900,
        recurring: { interval: 'month' },
        product: synced.ids.products['plan:standard'] as string,
        metadata: { tollgate_plan: 'legacy_team', tollgate_interval: 'month' },
      });
      const standardOverage = Object.entries(synced.ids.prices)
        .filter(([key]) => key.startsWith('tollgate_standard_') && key.endsWith('_overage_month'))
        .map(([, id]) => id);
      const customer = await sdk.customers.create({ email: 'legacy@example.test' });
      const subscription = await sdk.subscriptions.create({
        customer: customer.id,
        items: [{ price: legacyPrice.id }, ...standardOverage.map((price) => ({ price }))],
        trial_period_days: 14,
      });
      const invoicesBefore = (await sdk.invoices.list({ customer: customer.id })).data.length;
      await organizationOnRetiredPlan('retired_stripe', 'legacy_team');
      await context()
        .db.update(subscriptions)
        .set({ source: 'stripe', stripeSubscriptionId: subscription.id, stripePriceId: legacyPrice.id })
        .where(eq(subscriptions.organizationId, 'retired_stripe'));

      const response = await migrate('retired_stripe', { plan: 'enterprise' });
      expect(response.status).toBe(202);
      expect(response.body).toMatchObject({
        status: 'pending',
        from_plan: 'legacy_team',
        plan: 'enterprise',
        interval: 'month',
        source: 'stripe',
        stripe_subscription_id: subscription.id,
        stripe_price_id: synced.ids.prices.tollgate_enterprise_month,
      });
      const updated: Stripe.Subscription = await sdk.subscriptions.retrieve(subscription.id);
      const prices = updated.items.data.map((item) => item.price.id).sort();
      const enterpriseOverage = Object.entries(synced.ids.prices)
        .filter(([key]) => key.startsWith('tollgate_enterprise_') && key.endsWith('_overage_month'))
        .map(([, id]) => id);
      expect(prices).toEqual([synced.ids.prices.tollgate_enterprise_month, ...enterpriseOverage].sort());
      expect((await sdk.invoices.list({ customer: customer.id })).data.length).toBe(invoicesBefore);
      // Tollgate's own subscription waits for Stripe's webhook.
      expect((await harness().request('GET', '/v1/organizations/retired_stripe')).body.plan).toBe(
        'legacy_team',
      );

      const toFree = await migrate('retired_stripe', { plan: 'free' });
      expect(toFree.status).toBe(409);
      expect(toFree.body.error.code).toBe('plan_not_billable');
    });
  },
  { catalog: demoCatalog, tollgate: { stripe: stripe.gateway } },
);
