import type Stripe from 'stripe';
import { cardForNumber } from '../billing/cards.js';
import type { Invoice } from '../billing/invoices.js';
import { changeSubscription } from '../billing/subscription-changes.js';
import { productName } from '../billing/subscription-lines.js';
import { endSubscription, type Subscription } from '../billing/subscription-state.js';
import { StripeError } from '../http/errors.js';
import type { FormObject } from '../http/form.js';
import type { Router } from '../http/router.js';
import type { PortalConfiguration, PortalSession } from '../resources/billing-portal.js';
import { updateCustomer } from '../resources/customers.js';
import { attachPaymentMethod, createCardPaymentMethod } from '../resources/payment-methods.js';
import type { Sandbox } from '../sandbox.js';
import type { Wire } from '../wire.js';
import { escapeHtml, formatDate, formatMoney, htmlPage, redirect } from './html.js';

type Price = Wire<Stripe.Price>;

function findSession(sandbox: Sandbox, token: string): PortalSession | undefined {
  return sandbox.store
    .all<PortalSession>('portal_sessions')
    .find((session) => session.url.endsWith(`/portal/${token}`));
}

function switchablePrices(sandbox: Sandbox, configuration: PortalConfiguration | undefined): Price[] {
  const configured = configuration?.features.subscription_update.products ?? [];
  const allowed = new Set(configured.flatMap((product) => product.prices));
  return sandbox.store
    .all<Price>('prices')
    .filter(
      (price) => price.active && price.type === 'recurring' && price.recurring?.usage_type === 'licensed',
    )
    .filter((price) => allowed.size === 0 || allowed.has(price.id));
}

function render(
  sandbox: Sandbox,
  token: string,
  session: PortalSession,
  message: string | null,
  status = 200,
) {
  const configuration = sandbox.store.get<PortalConfiguration>(
    'portal_configurations',
    session.configuration as string,
  );
  const customer = sandbox.store.get<Wire<Stripe.Customer>>('customers', session.customer);
  const subscriptions = sandbox.store
    .all<Subscription>('subscriptions')
    .filter(
      (subscription) => subscription.customer === session.customer && subscription.status !== 'canceled',
    );
  const prices = switchablePrices(sandbox, configuration);
  const subscriptionBlocks = subscriptions
    .map((subscription) => {
      const licensed = subscription.items.data.find((item) => item.price.recurring?.usage_type !== 'metered');
      const current = licensed?.price as Price | undefined;
      const options = prices
        .filter((price) => price.id !== current?.id)
        .map(
          (price) =>
            `<option value="${escapeHtml(price.id)}">${escapeHtml(productName(sandbox, price))} — ${escapeHtml(formatMoney(price.unit_amount, price.currency))} / ${escapeHtml(price.recurring?.interval)}</option>`,
        )
        .join('');
      const periodEnd = subscription.items.data[0]?.current_period_end;
      return `<section data-subscription="${escapeHtml(subscription.id)}"><h2>${escapeHtml(current ? productName(sandbox, current) : subscription.id)}</h2>
<p>Status: <strong class="status">${escapeHtml(subscription.status)}</strong>${subscription.cancel_at_period_end ? ` — cancels on ${formatDate(periodEnd)}` : ` — renews on ${formatDate(periodEnd)}`}</p>
${configuration?.features.subscription_update.enabled && options ? `<form method="post" action="/portal/${escapeHtml(token)}/switch"><input type="hidden" name="subscription" value="${escapeHtml(subscription.id)}"><label for="price-${escapeHtml(subscription.id)}">Switch plan</label><select id="price-${escapeHtml(subscription.id)}" name="price">${options}</select><button type="submit">Switch plan</button></form>` : ''}
${configuration?.features.subscription_cancel.enabled && !subscription.cancel_at_period_end ? `<form method="post" action="/portal/${escapeHtml(token)}/cancel"><input type="hidden" name="subscription" value="${escapeHtml(subscription.id)}"><button type="submit">Cancel plan</button></form>` : ''}
</section>`;
    })
    .join('');
  const invoices = sandbox.store
    .all<Invoice>('invoices')
    .filter((invoice) => invoice.customer === session.customer && invoice.status !== 'draft')
    .map(
      (invoice) =>
        `<tr><td>${formatDate(invoice.created)}</td><td>${escapeHtml(invoice.number)}</td><td>${escapeHtml(formatMoney(invoice.total, invoice.currency))}</td><td>${escapeHtml(invoice.status)}</td><td><a href="${escapeHtml(invoice.hosted_invoice_url)}">View</a></td></tr>`,
    )
    .join('');
  const body = `<h1>Billing for ${escapeHtml(customer?.email ?? customer?.name ?? session.customer)}</h1>
${message ? `<p class="error" role="alert">${escapeHtml(message)}</p>` : ''}
${subscriptionBlocks || '<p>No active subscriptions.</p>'}
${configuration?.features.payment_method_update.enabled ? `<h2>Payment method</h2><form method="post" action="/portal/${escapeHtml(token)}/card"><label for="card_number">New card number</label><input id="card_number" name="card_number" required><button type="submit">Update card</button></form>` : ''}
${configuration?.features.invoice_history.enabled ? `<h2>Invoices</h2><table><tr><th>Date</th><th>Number</th><th>Total</th><th>Status</th><th></th></tr>${invoices}</table>` : ''}
<p><a href="${escapeHtml(session.return_url)}">Return</a></p>`;
  return htmlPage('Billing portal', body, status);
}

function text(body: FormObject, name: string): string {
  const value = body[name];
  return typeof value === 'string' ? value : '';
}

function ownSubscription(sandbox: Sandbox, session: PortalSession, id: string): Subscription | undefined {
  const subscription = sandbox.store.get<Subscription>('subscriptions', id);
  return subscription?.customer === session.customer ? subscription : undefined;
}

export function registerPortalPage(router: Router): void {
  router.page('GET', '/portal/:token', ({ sandbox, params }) => {
    const session = findSession(sandbox, params.token as string);
    if (!session) return htmlPage('Not found', '<h1>This portal link is not valid.</h1>', 404);
    return render(sandbox, params.token as string, session, null);
  });
  router.page('POST', '/portal/:token/:action', ({ sandbox, params, body }) => {
    const token = params.token as string;
    const session = findSession(sandbox, token);
    if (!session) return htmlPage('Not found', '<h1>This portal link is not valid.</h1>', 404);
    const configuration = sandbox.store.get<PortalConfiguration>(
      'portal_configurations',
      session.configuration as string,
    );
    try {
      if (params.action === 'card') {
        const card = cardForNumber(text(body, 'card_number'));
        if (!card) return render(sandbox, token, session, 'That is not a sandbox test card.', 402);
        const method = attachPaymentMethod(
          sandbox,
          createCardPaymentMethod(sandbox, card, null).id,
          session.customer,
        );
        const customer = sandbox.store.require<Wire<Stripe.Customer>>(
          'customers',
          session.customer,
          'customer',
        );
        updateCustomer(sandbox, customer, { invoice_settings: { default_payment_method: method.id } });
        for (const subscription of sandbox.store
          .all<Subscription>('subscriptions')
          .filter((row) => row.customer === session.customer && row.status !== 'canceled')) {
          changeSubscription(sandbox, subscription, { default_payment_method: method.id });
        }
      } else {
        const subscription = ownSubscription(sandbox, session, text(body, 'subscription'));
        if (!subscription) return render(sandbox, token, session, 'Unknown subscription.', 404);
        if (params.action === 'cancel' && configuration?.features.subscription_cancel.enabled) {
          if (configuration.features.subscription_cancel.mode === 'immediately')
            endSubscription(sandbox, subscription, 'cancellation_requested');
          else changeSubscription(sandbox, subscription, { cancel_at_period_end: true });
        } else if (params.action === 'switch' && configuration?.features.subscription_update.enabled) {
          const item = subscription.items.data.find((row) => row.price.recurring?.usage_type !== 'metered');
          const price = text(body, 'price');
          if (!item || !switchablePrices(sandbox, configuration).some((row) => row.id === price)) {
            return render(sandbox, token, session, 'That plan is not available here.', 400);
          }
          changeSubscription(sandbox, subscription, {
            items: [{ id: item.id, price }],
            proration_behavior: configuration.features.subscription_update.proration_behavior as
              | 'create_prorations'
              | 'none'
              | 'always_invoice',
          });
        } else {
          return render(sandbox, token, session, 'That action is not enabled.', 400);
        }
      }
    } catch (error) {
      if (error instanceof StripeError) return render(sandbox, token, session, error.body.message, 402);
      throw error;
    }
    return redirect(`/portal/${token}`);
  });
}
