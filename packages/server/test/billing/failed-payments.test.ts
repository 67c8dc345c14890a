import { expect, it } from 'vitest';
import { describeBillingEachDatabase } from '../support/billing-harness.js';

describeBillingEachDatabase('A renewal whose card fails', (harness) => {
  it('makes the organization past_due, and a successful retry makes it active again', async () => {
    const h = harness();
    await h.request('POST', '/v1/organizations', { body: { id: 'late', name: 'Late Payer' } });
    const checkout = await h.request('POST', '/v1/organizations/late/checkout', {
      body: { plan: 'standard' },
    });
    // 4000 0000 0000 0341: attaches fine, every later charge fails.
    await h.payCheckout(checkout.body.id, 'pm_card_chargeCustomerFail');
    await h.eventually(async () => {
      const response = await h.request('GET', '/v1/organizations/late/subscription');
      return response.body.status === 'trialing';
    }, 'the trial');

    await h.advanceClock('late', 15);
    const pastDue = await h.eventually(async () => {
      const response = await h.request('GET', '/v1/organizations/late/subscription');
      return response.body.status === 'past_due' ? response.body : undefined;
    }, 'past_due after the failed renewal');
    expect(pastDue.plan).toBe('standard');
    // Past due keeps access while Stripe retries; the failed payment earned no credits.
    expect(
      (
        await h.request('POST', '/v1/check', {
          body: { organization_id: 'late', feature: 'priority_support' },
        })
      ).body.allowed,
    ).toBe(true);
    expect((await h.request('GET', '/v1/organizations/late/credits')).body.balance).toBe('0');
    const open = await h.request('GET', '/v1/organizations/late/invoices?status=open');
    expect(open.body.data.length).toBeGreaterThan(0);

    // The customer saves a working card; Stripe's next retry succeeds.
    const customer = pastDue.stripe_customer_id as string;
    const card = await h.stripe.paymentMethods.attach('pm_card_visa', { customer });
    await h.stripe.customers.update(customer, { invoice_settings: { default_payment_method: card.id } });
    // Checkout made the failing card the subscription's own default, which Stripe charges first.
    await h.stripe.subscriptions.update(pastDue.stripe_subscription_id, { default_payment_method: card.id });
    await h.advanceClock('late', 3);
    const active = await h.eventually(async () => {
      const response = await h.request('GET', '/v1/organizations/late/subscription');
      return response.body.status === 'active' ? response.body : undefined;
    }, 'active after the successful retry');
    expect(active.plan).toBe('standard');
    await h.eventually(async () => {
      const credits = await h.request('GET', '/v1/organizations/late/credits');
      return credits.body.balance === '10000';
    }, 'the paid period’s credits');
    const history = await h.request('GET', '/v1/organizations/late/subscription/history');
    const statuses = history.body.data
      .filter((entry: { change: string }) => entry.change === 'status_changed')
      .map((entry: { to_status: string }) => entry.to_status)
      .reverse();
    // Stripe's order is active (trial over), past_due an hour later, active after the retry; events
    // arrive in any order, so the first may be applied already past_due, but never back and forth.
    expect(statuses.slice(-2)).toEqual(['past_due', 'active']);
    expect(statuses.filter((status: string) => status === 'past_due')).toHaveLength(1);
  });
});
