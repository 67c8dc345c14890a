import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipUnless } from '../../../test-support/skips.js';
import { type StripeSandbox, startStripeSandbox } from '../src/index.js';
import {
  type Exchange,
  haveSpec,
  OpenApiResponses,
  recordingFetch,
  type SchemaAmendment,
  specPath,
  type Violation,
} from './support/openapi.js';

const DAY = 86_400;
const START = Date.UTC(2026, 0, 1) / 1000;

/**
 * Where API version 2026-10-28 (the SDK v23 types) positively contradicts the 2024-04-10 spec, the
 * newer types win. Each entry names the schema, what changed and where the SDK type says so.
 */
const versionGap: SchemaAmendment[] = [
  {
    schema: 'subscription',
    dropRequired: ['current_period_end', 'current_period_start'],
    why: 'moved to the subscription items (Stripe.SubscriptionItem.current_period_*); absent from Stripe.Subscription',
  },
  {
    schema: 'invoice',
    dropRequired: ['paid', 'paid_out_of_band', 'total_tax_amounts'],
    why: 'absent from Stripe.Invoice: `paid` is read from `status`, tax amounts moved to `total_taxes`',
  },
  {
    schema: 'line_item',
    dropRequired: ['proration', 'type'],
    why: 'absent from Stripe.InvoiceLineItem: both moved under `parent` (parent.*_details.proration, parent.type)',
  },
  {
    schema: 'credit_note',
    dropRequired: ['tax_amounts'],
    why: 'absent from Stripe.CreditNote: replaced by `total_taxes`',
  },
  {
    schema: 'credit_note_line_item',
    dropRequired: ['tax_amounts'],
    why: 'absent from Stripe.CreditNoteLineItem: replaced by `taxes`',
  },
  {
    schema: 'promotion_code',
    dropRequired: ['coupon'],
    why: 'absent from Stripe.PromotionCode: the coupon moved to `promotion.coupon`',
  },
  {
    schema: 'discount',
    dropRequired: ['coupon'],
    why: 'absent from Stripe.Discount: the coupon moved to `source.coupon`',
  },
];

/**
 * Endpoints the 2024 spec does not describe: sandbox-only test helpers, and APIs added since. Their
 * bodies are checked against the SDK types at compile time (`Wire<Stripe.X>`) instead.
 */
const notInSpec: RegExp[] = [
  /^POST \/v1\/test_helpers\/checkout\/sessions\/[^/]+\/complete$/, // sandbox-only: pays a session as the hosted page would
  /^GET \/v1\/invoice_payments$/, // added in 2025 (InvoicePayments in the SDK v23)
];

// The run's summary names this suite with the reason when Stripe's OpenAPI description is absent.
describe(
  haveSpec
    ? "a whole billing flow's responses validate against Stripe's OpenAPI description"
    : `OpenAPI response validation skipped: ${specPath} not found`,
  skipUnless(
    haveSpec,
    `needs Stripe's OpenAPI description at ${specPath} (../shared, outside the repository)`,
  ),
  () => {
    let sandbox: StripeSandbox;
    let stripe: Stripe;
    const exchanges: Promise<Exchange>[] = [];
    beforeAll(async () => {
      sandbox = await startStripeSandbox({ port: 0, dataDir: null });
      stripe = new Stripe('sk_test_openapi', {
        host: '127.0.0.1',
        port: sandbox.port,
        protocol: 'http',
        maxNetworkRetries: 0,
        httpClient: Stripe.createFetchHttpClient(recordingFetch(exchanges)),
      });
    });
    afterAll(() => sandbox.close());

    it('drives catalog → checkout → trial → upgrade → scheduled downgrade → failed renewal → retry → refund → credit note → coupons', async () => {
      // Catalog.
      const meter = await stripe.billing.meters.create({
        display_name: 'API calls',
        event_name: 'api_call',
        default_aggregation: { formula: 'sum' },
        customer_mapping: { event_payload_key: 'stripe_customer_id', type: 'by_id' },
        value_settings: { event_payload_key: 'value' },
      });
      const product = await stripe.products.create({ name: 'Standard', metadata: { plan: 'standard' } });
      const bigger = await stripe.products.create({ name: 'Enterprise' });
      const standard = await stripe.prices.create({
        product: product.id,
        currency: 'usd',
        unit_amount: 2900,
        recurring: { interval: 'month' },
        lookup_key: 'standard_monthly',
      });
      const enterprise = await stripe.prices.create({
        product: bigger.id,
        currency: 'usd',
        unit_amount: 9900,
        recurring: { interval: 'month' },
      });
      const overage = await stripe.prices.create({
        product: product.id,
        currency: 'usd',
        billing_scheme: 'tiered',
        tiers_mode: 'graduated',
        recurring: { interval: 'month', usage_type: 'metered', meter: meter.id },
        tiers: [
          { up_to: 1000, unit_amount: 0 },
          { up_to: 'inf', unit_amount_decimal: Stripe.Decimal.from('0.5') },
        ],
      });
      await stripe.prices.list({ lookup_keys: ['standard_monthly'] });
      await stripe.products.retrieve(product.id);
      await stripe.webhookEndpoints.create({ url: 'http://127.0.0.1:9/hook', enabled_events: ['*'] });

      // Customer on a test clock; Checkout with a trial, paid with 4242.
      const clock = await stripe.testHelpers.testClocks.create({ frozen_time: START });
      const customer = await stripe.customers.create({
        email: 'org@example.com',
        test_clock: clock.id,
        metadata: { organization_id: 'org_1' },
      });
      const session = await stripe.checkout.sessions.create({
        mode: 'subscription',
        customer: customer.id,
        client_reference_id: 'org_1',
        line_items: [{ price: standard.id, quantity: 1 }, { price: overage.id }],
        subscription_data: { trial_period_days: 14 },
        success_url: 'https://host.example/ok',
        cancel_url: 'https://host.example/cancel',
      });
      await stripe.rawRequest('POST', `/v1/test_helpers/checkout/sessions/${session.id}/complete`, {
        payment_method: 'pm_card_visa',
      });
      const completed = await stripe.checkout.sessions.retrieve(session.id);
      const subscriptionId = completed.subscription as string;
      await stripe.checkout.sessions.listLineItems(session.id);

      // Trial → active on the clock; metered usage recorded.
      await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: START + 15 * DAY });
      let subscription = await stripe.subscriptions.retrieve(subscriptionId);
      expect(subscription.status).toBe('active');
      await stripe.billing.meterEvents.create({
        event_name: 'api_call',
        payload: { stripe_customer_id: customer.id, value: '1500' },
        identifier: 'usage-1',
      });
      await stripe.billing.meters.listEventSummaries(meter.id, {
        customer: customer.id,
        start_time: START,
        end_time: START + 60 * DAY,
      });

      // Upgrade mid-period with proration, invoiced now.
      const baseItem = subscription.items.data.find(
        (item) => item.price.id === standard.id,
      ) as Stripe.SubscriptionItem;
      await stripe.invoices.createPreview({
        customer: customer.id,
        subscription: subscriptionId,
        subscription_details: { items: [{ id: baseItem.id, price: enterprise.id }] },
      });
      subscription = await stripe.subscriptions.update(subscriptionId, {
        items: [{ id: baseItem.id, price: enterprise.id }],
        proration_behavior: 'always_invoice',
      });
      const upgradeInvoice = await stripe.invoices.retrieve(subscription.latest_invoice as string);
      expect(upgradeInvoice.billing_reason).toBe('subscription_update');

      // Downgrade scheduled for the period end.
      const schedule = await stripe.subscriptionSchedules.create({ from_subscription: subscriptionId });
      const current = schedule.phases[0] as Stripe.SubscriptionSchedule.Phase;
      await stripe.subscriptionSchedules.update(schedule.id, {
        end_behavior: 'release',
        phases: [
          {
            items: current.items.map((item) => ({ price: item.price as string, quantity: item.quantity })),
            start_date: current.start_date,
            end_date: current.end_date,
          },
          {
            items: [{ price: standard.id, quantity: 1 }, { price: overage.id }],
            duration: { interval: 'month' },
          },
        ],
      });
      await stripe.subscriptionSchedules.list({ customer: customer.id });

      // The renewal fails on a card that declines charges; a new card and a retry make it active again.
      const failing = await stripe.paymentMethods.attach('pm_card_chargeCustomerFail', {
        customer: customer.id,
      });
      await stripe.customers.update(customer.id, {
        invoice_settings: { default_payment_method: failing.id },
      });
      await stripe.subscriptions.update(subscriptionId, { default_payment_method: failing.id });
      const periodEnd = current.end_date;
      await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: periodEnd + 2 * 3600 });
      subscription = await stripe.subscriptions.retrieve(subscriptionId);
      expect(subscription.status).toBe('past_due');
      expect(subscription.items.data.map((item) => item.price.id).sort()).toEqual(
        [overage.id, standard.id].sort(),
      );
      const renewal = await stripe.invoices.retrieve(subscription.latest_invoice as string);
      expect(renewal.status).toBe('open');
      const good = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
      await stripe.subscriptions.update(subscriptionId, { default_payment_method: good.id });
      const paid = await stripe.invoices.pay(renewal.id, { payment_method: good.id });
      expect(paid.status).toBe('paid');
      expect((await stripe.subscriptions.retrieve(subscriptionId)).status).toBe('active');

      // Invoices, lines, payments, events.
      await stripe.invoices.list({ customer: customer.id, limit: 100 });
      await stripe.invoices.listLineItems(renewal.id);
      await stripe.invoicePayments.list({ invoice: renewal.id });
      await stripe.paymentMethods.list({ customer: customer.id, type: 'card' });
      await stripe.events.list({ type: 'invoice.*', limit: 100 });
      await stripe.subscriptions.list({ customer: customer.id });

      // A refund of the upgrade's payment, listed and read back.
      const upgradePayments = await stripe.invoicePayments.list({ invoice: upgradeInvoice.id });
      const paidAttempt = upgradePayments.data.find((payment) => payment.status === 'paid');
      const intentId = paidAttempt?.payment.payment_intent as string;
      const refund = await stripe.refunds.create({ payment_intent: intentId, amount: 500 });
      await stripe.refunds.retrieve(refund.id);
      await stripe.refunds.list({ payment_intent: intentId });

      // A credit note on the renewal: previewed, issued with a refund, listed, read; another voided.
      const renewalLine = renewal.lines.data[0] as Stripe.InvoiceLineItem;
      const creditParams = {
        invoice: renewal.id,
        lines: [{ type: 'invoice_line_item' as const, invoice_line_item: renewalLine.id, amount: 1000 }],
        refund_amount: 1000,
      };
      await stripe.creditNotes.preview(creditParams);
      await stripe.creditNotes.listPreviewLineItems(creditParams);
      const note = await stripe.creditNotes.create(creditParams);
      await stripe.creditNotes.retrieve(note.id);
      await stripe.creditNotes.list({ invoice: renewal.id });
      await stripe.creditNotes.listLineItems(note.id);
      const balanceNote = await stripe.creditNotes.create({ invoice: renewal.id, amount: 200 });
      await stripe.creditNotes.voidCreditNote(balanceNote.id);

      // Coupons and promotion codes, on a second customer's Checkout with a typed code.
      const coupon = await stripe.coupons.create({
        percent_off: 20,
        duration: 'repeating',
        duration_in_months: 3,
      });
      const fixedCoupon = await stripe.coupons.create({ amount_off: 500, currency: 'usd', duration: 'once' });
      await stripe.coupons.retrieve(coupon.id);
      await stripe.coupons.list({ limit: 10 });
      const promotion = await stripe.promotionCodes.create({
        promotion: { type: 'coupon', coupon: coupon.id },
        code: 'LAUNCH20',
      });
      await stripe.promotionCodes.list({ code: 'LAUNCH20' });
      await stripe.promotionCodes.retrieve(promotion.id);
      const other = await stripe.customers.create({ email: 'second@example.com', test_clock: clock.id });
      const discounted = await stripe.checkout.sessions.create({
        mode: 'subscription',
        customer: other.id,
        line_items: [{ price: standard.id, quantity: 1 }],
        allow_promotion_codes: true,
        success_url: 'https://host.example/ok',
      });
      await stripe.rawRequest('POST', `/v1/test_helpers/checkout/sessions/${discounted.id}/complete`, {
        payment_method: 'pm_card_visa',
        promotion_code: 'launch20',
      });
      const discountedSession = await stripe.checkout.sessions.retrieve(discounted.id);
      const discountedInvoice = await stripe.invoices.retrieve(discountedSession.invoice as string);
      expect(discountedInvoice.total_discount_amounts).toHaveLength(1);
      await stripe.subscriptions.retrieve(discountedSession.subscription as string, {
        expand: ['discounts'],
      });
      await stripe.checkout.sessions.create({
        mode: 'subscription',
        customer: other.id,
        line_items: [{ price: standard.id, quantity: 1 }],
        discounts: [{ coupon: fixedCoupon.id }],
        success_url: 'https://host.example/ok',
      });
      await stripe.coupons.del(fixedCoupon.id);

      // An invoice the customer pays on its hosted page.
      await stripe.invoiceItems.create({
        customer: other.id,
        amount: 4000,
        currency: 'usd',
        description: 'Onboarding',
      });
      const sendable = await stripe.invoices.create({
        customer: other.id,
        collection_method: 'send_invoice',
        days_until_due: 14,
        pending_invoice_items_behavior: 'include',
      });
      await stripe.invoices.sendInvoice(sendable.id);

      // A meter event cancelled by an adjustment.
      await stripe.billing.meterEvents.create({
        event_name: 'api_call',
        payload: { stripe_customer_id: customer.id, value: '3' },
        identifier: 'usage-mistake',
      });
      await stripe.billing.meterEventAdjustments.create({
        event_name: 'api_call',
        type: 'cancel',
        cancel: { identifier: 'usage-mistake' },
      });

      // A schedule that starts later, released; another canceled with its subscription.
      const laterSchedule = await stripe.subscriptionSchedules.create({
        customer: other.id,
        start_date: periodEnd + 40 * DAY,
        phases: [{ items: [{ price: standard.id, quantity: 1 }] }],
      });
      await stripe.subscriptionSchedules.release(laterSchedule.id);
      const scheduleToCancel = await stripe.subscriptionSchedules.create({
        from_subscription: discountedSession.subscription as string,
      });
      await stripe.subscriptionSchedules.retrieve(scheduleToCancel.id);
      await stripe.subscriptionSchedules.cancel(scheduleToCancel.id);

      // The rest of what Tollgate reads: lists, searches, the portal, tax, clocks, payment methods.
      await stripe.customers.list({ email: 'org@example.com' });
      await stripe.customers.search({ query: "metadata['organization_id']:'org_1'" });
      await stripe.customers.listPaymentMethods(customer.id);
      await stripe.customers.createTaxId(other.id, { type: 'eu_vat', value: 'DE123456789' });
      await stripe.customers.listTaxIds(other.id);
      await stripe.products.list({ limit: 5 });
      await stripe.products.search({ query: "metadata['plan']:'standard'" });
      await stripe.prices.retrieve(overage.id);
      await stripe.prices.update(standard.id, { metadata: { plan: 'standard' } });
      await stripe.billing.meters.retrieve(meter.id);
      await stripe.billing.meters.list();
      await stripe.subscriptionItems.list({ subscription: subscriptionId });
      await stripe.subscriptions.search({ query: `status:'active'` });
      await stripe.invoiceItems.list({ customer: other.id });
      await stripe.paymentIntents.list({ customer: customer.id });
      await stripe.paymentIntents.retrieve(intentId);
      await stripe.paymentMethods.retrieve(good.id);
      await stripe.checkout.sessions.list({ customer: customer.id });
      await stripe.testHelpers.testClocks.retrieve(clock.id);
      await stripe.testHelpers.testClocks.list();
      await stripe.webhookEndpoints.list();
      const configuration = await stripe.billingPortal.configurations.create({
        features: { invoice_history: { enabled: true } },
      });
      await stripe.billingPortal.configurations.list();
      await stripe.billingPortal.sessions.create({
        customer: customer.id,
        configuration: configuration.id,
        return_url: 'https://host.example/billing',
      });
      await stripe.tax.calculations.create({
        currency: 'usd',
        line_items: [{ amount: 2900, reference: 'plan' }],
        customer_details: { address: { country: 'DE', postal_code: '10115' }, address_source: 'billing' },
      });
      await stripe.taxRates.list();
      const lastEvent = (await stripe.events.list({ limit: 1 })).data[0] as Stripe.Event;
      await stripe.events.retrieve(lastEvent.id);
      await stripe.invoiceItems.create({
        customer: other.id,
        amount: 700,
        currency: 'usd',
        description: 'Mistake',
      });
      const voidable = await stripe.invoices.create({
        customer: other.id,
        collection_method: 'send_invoice',
        days_until_due: 7,
        pending_invoice_items_behavior: 'include',
      });
      await stripe.invoices.finalizeInvoice(voidable.id);
      await stripe.invoices.voidInvoice(voidable.id);
      // Cancelling at period end needs the schedule released first, as on Stripe.
      await stripe.subscriptionSchedules.release(schedule.id);
      await stripe.subscriptions.update(subscriptionId, { cancel_at_period_end: true });
      await stripe.subscriptions.cancel(subscriptionId, { invoice_now: true });

      // Error answers have Stripe's error shape too.
      await expect(stripe.customers.retrieve('cus_missing')).rejects.toMatchObject({ statusCode: 404 });
      await expect(stripe.coupons.create({ amount_off: 100 })).rejects.toMatchObject({ statusCode: 400 });
      await expect(stripe.subscriptionSchedules.release(laterSchedule.id)).rejects.toMatchObject({
        statusCode: 400,
      });
    });

    it('every response body matches its operation in the spec', async () => {
      const recorded = await Promise.all(exchanges);
      expect(recorded.length).toBeGreaterThan(80);
      const validator = new OpenApiResponses(versionGap);
      const violations: Violation[] = [];
      const unchecked: string[] = [];
      for (const exchange of recorded) {
        const line = `${exchange.method} ${exchange.path}`;
        if (notInSpec.some((pattern) => pattern.test(line))) {
          unchecked.push(line);
          continue;
        }
        const violation = validator.check(exchange);
        if (violation) violations.push(violation);
      }
      expect(violations).toEqual([]);
      // Every listed exception was used: the list names real gaps, not leftovers.
      for (const pattern of notInSpec) expect(unchecked.some((line) => pattern.test(line))).toBe(true);
    });

    it('the check rejects a body that breaks the spec', async () => {
      const recorded = await Promise.all(exchanges);
      const customer = recorded.find(
        (exchange) => exchange.method === 'POST' && exchange.path === '/v1/customers',
      ) as Exchange;
      const validator = new OpenApiResponses(versionGap);
      expect(validator.check(customer)).toBeNull();
      const broken = { ...customer, body: { ...(customer.body as object), created: 'yesterday', email: 7 } };
      const violation = validator.check(broken);
      expect(violation?.errors.join('\n')).toMatch(/\/created must be integer/);
      expect(violation?.errors.join('\n')).toMatch(/\/email/);
    });
  },
);
