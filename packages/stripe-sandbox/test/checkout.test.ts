import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './support/harness.js';

describe('checkout sessions', () => {
  let harness: Harness;
  let oneTime: Stripe.Price;
  let monthly: Stripe.Price;
  beforeAll(async () => {
    harness = await startHarness();
    oneTime = await harness.stripe.prices.create({
      product_data: { name: '1000 credits' },
      currency: 'usd',
      unit_amount: 1000,
    });
    monthly = await harness.stripe.prices.create({
      product_data: { name: 'Pro' },
      currency: 'usd',
      unit_amount: 4900,
      recurring: { interval: 'month' },
    });
  });
  afterAll(() => harness.close());

  const complete = (id: string, payment_method: string) =>
    harness.stripe.rawRequest('POST', `/v1/test_helpers/checkout/sessions/${id}/complete`, {
      payment_method,
    });

  it('sells a one-time credit pack in payment mode', async () => {
    const { stripe } = harness;
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      customer_email: 'buyer@example.com',
      client_reference_id: 'org_pack',
      metadata: { credit_pack: 'credits_1000' },
      payment_intent_data: { metadata: { credit_pack: 'credits_1000' } },
      line_items: [{ price: oneTime.id, quantity: 2 }],
      success_url: 'https://host.example/ok',
      cancel_url: 'https://host.example/cancel',
      // Not in this SDK version's create params, but still accepted by the API and by the sandbox.
      ...({ payment_method_types: ['card', 'us_bank_account'] } as object),
      expand: ['line_items'],
    });
    expect(session).toMatchObject({
      status: 'open',
      payment_status: 'unpaid',
      amount_total: 2000,
      mode: 'payment',
    });
    expect(session.line_items?.data[0]).toMatchObject({ quantity: 2, amount_total: 2000 });
    expect(session.payment_method_types).toEqual(['card', 'us_bank_account']);
    await complete(session.id, 'pm_card_visa');
    const paid = await stripe.checkout.sessions.retrieve(session.id);
    expect(paid).toMatchObject({
      status: 'complete',
      payment_status: 'paid',
      client_reference_id: 'org_pack',
    });
    const intent = await stripe.paymentIntents.retrieve(paid.payment_intent as string);
    expect(intent).toMatchObject({
      status: 'succeeded',
      amount: 2000,
      amount_received: 2000,
      metadata: { credit_pack: 'credits_1000' },
    });
    const completedEvents = await stripe.events.list({ type: 'checkout.session.completed' });
    expect((completedEvents.data[0]?.data.object as Stripe.Checkout.Session | undefined)?.id).toBe(
      session.id,
    );

    const refund = await stripe.refunds.create({ payment_intent: intent.id, amount: 500 });
    expect(refund).toMatchObject({ status: 'succeeded', amount: 500, payment_intent: intent.id });
  });

  it('answers a declined card with a card_error and leaves the session open', async () => {
    const { stripe } = harness;
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: monthly.id, quantity: 1 }],
      success_url: 'https://host.example/ok',
    });
    const customersBefore = (await stripe.customers.list({ limit: 100 })).data.length;
    const declined = await complete(session.id, 'pm_card_chargeDeclined').catch((error) => error);
    expect(declined).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(declined).toMatchObject({
      code: 'card_declined',
      decline_code: 'generic_decline',
      statusCode: 402,
    });
    const failsLater = await complete(session.id, 'pm_card_chargeCustomerFail').catch((error) => error);
    expect(failsLater).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect((await stripe.checkout.sessions.retrieve(session.id)).status).toBe('open');
    expect((await stripe.customers.list({ limit: 100 })).data.length).toBe(customersBefore);
    await complete(session.id, 'pm_card_visa');
    const done = await stripe.checkout.sessions.retrieve(session.id, { expand: ['subscription'] });
    expect((done.subscription as Stripe.Subscription).status).toBe('active');
    const again = await complete(session.id, 'pm_card_visa').catch((error) => error);
    expect(again).toMatchObject({ type: 'StripeInvalidRequestError' });
  });

  it('pays the hosted page with a test US bank account when the session allows it', async () => {
    const { stripe, sandbox } = harness;
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      customer_email: 'ach@example.com',
      line_items: [{ price: oneTime.id, quantity: 1 }],
      success_url: 'https://host.example/ok?session={CHECKOUT_SESSION_ID}',
      ...({ payment_method_types: ['card', 'us_bank_account'] } as object),
    });
    const page = await (await fetch(session.url as string)).text();
    expect(page).toContain('Pay with a test US bank account');
    const paid = await fetch(`${sandbox.url}/checkout/${session.id}`, {
      method: 'POST',
      body: new URLSearchParams({ method: 'us_bank_account' }),
      redirect: 'manual',
    });
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toBe(`https://host.example/ok?session=${session.id}`);
    const completed = await stripe.checkout.sessions.retrieve(session.id, {
      expand: ['payment_intent.payment_method'],
    });
    const intent = completed.payment_intent as Stripe.PaymentIntent;
    expect((intent.payment_method as Stripe.PaymentMethod).type).toBe('us_bank_account');
  });

  it('saves a card in setup mode and expires sessions on request', async () => {
    const { stripe } = harness;
    const customer = await stripe.customers.create({ email: 'setup@example.com' });
    const setup = await stripe.checkout.sessions.create({
      mode: 'setup',
      customer: customer.id,
      currency: 'usd',
      success_url: 'https://host.example/ok',
    });
    await complete(setup.id, 'pm_card_visa');
    const saved = await stripe.checkout.sessions.retrieve(setup.id);
    expect(saved.setup_intent).toMatch(/^seti_/);
    const methods = await stripe.customers.listPaymentMethods(customer.id);
    expect(methods.data[0]?.card?.last4).toBe('4242');

    const other = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price: oneTime.id, quantity: 1 }],
      success_url: 'https://host.example/ok',
    });
    const expired = await stripe.checkout.sessions.expire(other.id);
    expect(expired).toMatchObject({ status: 'expired', url: null });
    const expiredEvents = await stripe.events.list({ type: 'checkout.session.expired' });
    expect(expiredEvents.data.map((event) => (event.data.object as Stripe.Checkout.Session).id)).toContain(
      other.id,
    );
  });

  it('expires an unpaid session at expires_at on the customer’s test clock', async () => {
    const { stripe } = harness;
    const start = Date.UTC(2026, 5, 1) / 1000;
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: start });
    const customer = await stripe.customers.create({ test_clock: clock.id });
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      customer: customer.id,
      line_items: [{ price: oneTime.id, quantity: 1 }],
      success_url: 'https://host.example/ok',
    });
    expect(session.expires_at).toBe(start + 24 * 3600);
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: start + 25 * 3600 });
    expect((await stripe.checkout.sessions.retrieve(session.id)).status).toBe('expired');
    const expired = await stripe.events.list({ type: 'checkout.session.expired' });
    expect(expired.data[0]?.created).toBe(start + 24 * 3600);
  });

  it('validates mode against the prices and names the bad parameter', async () => {
    const { stripe } = harness;
    const wrongMode = await stripe.checkout.sessions
      .create({
        mode: 'payment',
        line_items: [{ price: monthly.id, quantity: 1 }],
        success_url: 'https://host.example/ok',
      })
      .catch((error) => error);
    expect(wrongMode).toMatchObject({ type: 'StripeInvalidRequestError', param: 'line_items' });
    const unknownPrice = await stripe.checkout.sessions
      .create({
        mode: 'payment',
        line_items: [{ price: 'price_missing' }],
        success_url: 'https://host.example/ok',
      })
      .catch((error) => error);
    expect(unknownPrice).toMatchObject({ code: 'resource_missing', param: 'line_items[0][price]' });
  });

  it('adds automatic tax for the customer address, none for a reverse-charge customer', async () => {
    const { stripe } = harness;
    const californian = await stripe.customers.create({
      address: { country: 'US', state: 'CA', postal_code: '94107' },
    });
    const taxed = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: californian.id,
      automatic_tax: { enabled: true },
      tax_id_collection: { enabled: true },
      line_items: [{ price: monthly.id, quantity: 1 }],
      success_url: 'https://host.example/ok',
    });
    expect(taxed.total_details?.amount_tax).toBe(355);
    expect(taxed.amount_total).toBe(4900 + 355);
    await complete(taxed.id, 'pm_card_visa');
    const invoice = await stripe.invoices.retrieve(
      (await stripe.checkout.sessions.retrieve(taxed.id)).invoice as string,
    );
    expect(invoice.total_taxes?.[0]).toMatchObject({ amount: 355, taxability_reason: 'standard_rated' });
    expect(invoice.total).toBe(5255);

    const business = await stripe.customers.create({ address: { country: 'DE' }, tax_exempt: 'reverse' });
    const reverse = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: business.id,
      automatic_tax: { enabled: true },
      line_items: [{ price: monthly.id, quantity: 1 }],
      success_url: 'https://host.example/ok',
    });
    expect(reverse.total_details?.amount_tax).toBe(0);
  });
});
