import { expect, it } from 'vitest';
import { type BillingHarness, describeBillingEachDatabase } from '../support/billing-harness.js';

async function subscriptionWhen(
  h: BillingHarness,
  organizationId: string,
  holds: (body: any) => boolean,
  what: string,
) {
  return h.eventually(async () => {
    const response = await h.request('GET', `/v1/organizations/${organizationId}/subscription`);
    return holds(response.body) ? response.body : undefined;
  }, what);
}

async function balanceWhen(h: BillingHarness, organizationId: string, balance: string) {
  return h.eventually(async () => {
    const response = await h.request('GET', `/v1/organizations/${organizationId}/credits`);
    return response.body.balance === balance ? response.body : undefined;
  }, `a credit balance of ${balance}`);
}

describeBillingEachDatabase('Checkout and the subscription lifecycle', (harness) => {
  it('goes free → trial → active with credits → upgrade with a prorated invoice → downgrade scheduled → cancelled → back on free', async () => {
    const h = harness();
    expect(
      (await h.request('POST', '/v1/organizations', { body: { id: 'acme', name: 'Acme' } })).status,
    ).toBe(201);
    const checkout = await h.request('POST', '/v1/organizations/acme/checkout', {
      body: { plan: 'standard', interval: 'month' },
    });
    expect(checkout.status).toBe(201);
    expect(checkout.body.url).toMatch(/^http/);
    const session = await h.stripe.checkout.sessions.retrieve(checkout.body.id);
    expect(session.client_reference_id).toBe('acme');
    expect(session.mode).toBe('subscription');
    expect(session.automatic_tax.enabled).toBe(true);

    await h.payCheckout(checkout.body.id);
    const trialing = await subscriptionWhen(h, 'acme', (body) => body.status === 'trialing', 'a trial');
    expect(trialing).toMatchObject({
      plan: 'standard',
      interval: 'month',
      source: 'stripe',
      cancel_at_period_end: false,
    });
    expect(trialing.stripe_subscription_id).toMatch(/^sub_/);
    expect(trialing.stripe_customer_id).toMatch(/^cus_/);
    expect(new Date(trialing.trial_end).getTime()).toBeGreaterThan(Date.now() + 13 * 86_400_000);
    // A trial is not a paid period: no subscription credits yet.
    expect((await h.request('GET', '/v1/organizations/acme/credits')).body.balance).toBe('0');
    // A second Checkout for a paying organization is refused: plan changes go through PUT.
    const again = await h.request('POST', '/v1/organizations/acme/checkout', {
      body: { plan: 'enterprise' },
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('use_plan_change');

    await h.advanceClock('acme', 15);
    const active = await subscriptionWhen(
      h,
      'acme',
      (body) => body.status === 'active',
      'the end of the trial',
    );
    expect(active.plan).toBe('standard');
    await balanceWhen(h, 'acme', '10000');

    await h.advanceClock('acme', 10);
    const upgrade = await h.request('PUT', '/v1/organizations/acme/subscription', {
      body: { plan: 'enterprise', interval: 'month' },
    });
    expect(upgrade.status).toBe(200);
    expect(upgrade.body.change).toEqual({ timing: 'now', direction: 'upgrade' });
    expect(upgrade.body.subscription).toMatchObject({ plan: 'enterprise', status: 'active' });
    // The period did not restart: usage of the period carries on.
    expect(upgrade.body.subscription.current_period_start).toBe(active.current_period_start);
    const prorated = await h.eventually(async () => {
      const list = await h.request('GET', '/v1/organizations/acme/invoices');
      return list.body.data.find(
        (invoice: any) => invoice.billing_reason === 'subscription_update' && invoice.status === 'paid',
      );
    }, 'the prorated invoice');
    expect(prorated.lines.some((line: any) => line.proration && line.amount < 0)).toBe(true);
    expect(prorated.lines.some((line: any) => line.proration && line.amount > 0)).toBe(true);
    expect(prorated.amount_paid).toBeGreaterThan(0);
    expect(prorated.amount_paid).toBeLessThan(49_900 - 9_900);
    const single = await h.request('GET', `/v1/organizations/acme/invoices/${prorated.id}`);
    expect(single.status).toBe(200);
    expect(single.body.hosted_invoice_url).toMatch(/^http/);
    expect(single.body.invoice_pdf).toMatch(/^http/);
    // The upgrade tops up the period's credits to enterprise's allowance.
    await balanceWhen(h, 'acme', '100000');

    const downgrade = await h.request('PUT', '/v1/organizations/acme/subscription', {
      body: { plan: 'standard', interval: 'month' },
    });
    expect(downgrade.status).toBe(200);
    expect(downgrade.body.change).toEqual({ timing: 'period_end', direction: 'downgrade' });
    expect(downgrade.body.subscription).toMatchObject({
      plan: 'enterprise',
      scheduled_change: {
        plan: 'standard',
        interval: 'month',
        at: upgrade.body.subscription.current_period_end,
      },
    });

    const cancel = await h.request('DELETE', '/v1/organizations/acme/subscription', {
      body: { at_period_end: true },
    });
    expect(cancel.status).toBe(200);
    // Cancelling withdraws the pending downgrade: the subscription simply ends at the period end.
    expect(cancel.body).toMatchObject({
      plan: 'enterprise',
      status: 'active',
      cancel_at_period_end: true,
      scheduled_change: null,
    });

    await h.advanceClock('acme', 25);
    const free = await subscriptionWhen(
      h,
      'acme',
      (body) => body.source === 'default',
      'the return to the free plan',
    );
    expect(free).toMatchObject({ plan: 'free', status: 'active', stripe_subscription_id: null });
    const denied = await h.request('POST', '/v1/check', {
      body: { organization_id: 'acme', feature: 'sso' },
    });
    expect(denied.body.allowed).toBe(false);

    const history = await h.request('GET', '/v1/organizations/acme/subscription/history');
    const changes = history.body.data.map((entry: { change: string }) => entry.change).reverse();
    expect(changes).toEqual(
      expect.arrayContaining([
        'created',
        'status_changed',
        'plan_changed',
        'change_scheduled',
        'change_withdrawn',
        'cancel_scheduled',
        'ended',
      ]),
    );
    const ended = history.body.data.find((entry: any) => entry.change === 'ended');
    expect(ended.to_status).toBe('expired');
  });

  it('applies a scheduled downgrade at the renewal, which bills the lower price', async () => {
    const h = harness();
    await h.request('POST', '/v1/organizations', { body: { id: 'shrinking', name: 'Shrinking' } });
    const checkout = await h.request('POST', '/v1/organizations/shrinking/checkout', {
      body: { plan: 'enterprise' },
    });
    await h.payCheckout(checkout.body.id);
    await subscriptionWhen(h, 'shrinking', (body) => body.status === 'trialing', 'the trial');
    await h.advanceClock('shrinking', 15);
    const active = await subscriptionWhen(
      h,
      'shrinking',
      (body) => body.status === 'active',
      'the first paid period',
    );
    const preview = await h.request('POST', '/v1/organizations/shrinking/subscription/preview', {
      body: { plan: 'standard', interval: 'month' },
    });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ timing: 'period_end', currency: 'usd' });
    expect(preview.body.lines.some((line: any) => line.amount === 9_900 && !line.proration)).toBe(true);
    const downgrade = await h.request('PUT', '/v1/organizations/shrinking/subscription', {
      body: { plan: 'standard' },
    });
    expect(downgrade.body.subscription.scheduled_change).toEqual({
      plan: 'standard',
      interval: 'month',
      at: active.current_period_end,
    });
    await h.advanceClock('shrinking', 31);
    const renewed = await subscriptionWhen(
      h,
      'shrinking',
      (body) => body.plan === 'standard' && body.current_period_start === active.current_period_end,
      'the downgrade at the renewal',
    );
    expect(renewed).toMatchObject({ status: 'active', scheduled_change: null, source: 'stripe' });
    // The renewal that opens the period starting where the downgrade was scheduled (the trial's end
    // was a renewal too, at the enterprise price).
    const renewalLine = await h.eventually(async () => {
      const list = await h.request('GET', '/v1/organizations/shrinking/invoices?status=paid');
      return list.body.data
        .flatMap((invoice: any) => invoice.lines)
        .find(
          (line: any) =>
            !line.proration && line.period_start === active.current_period_end && line.amount > 0,
        );
    }, 'the renewal invoice');
    expect(renewalLine.amount).toBe(9_900);
    const history = await h.request('GET', '/v1/organizations/shrinking/subscription/history');
    const changes = history.body.data.map((entry: { change: string }) => entry.change);
    expect(changes).toContain('change_scheduled');
    expect(changes).not.toContain('change_withdrawn');
    const planChange = history.body.data.find((entry: any) => entry.change === 'plan_changed');
    expect(planChange).toMatchObject({ from_plan: 'enterprise', to_plan: 'standard' });
  });
});
