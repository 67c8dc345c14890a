import type Stripe from 'stripe';
import { cardForNumber, US_BANK_ACCOUNT_TOKEN } from '../billing/cards.js';
import { completeCheckout } from '../billing/checkout-completion.js';
import type { CheckoutSession, StoredCheckoutExtras } from '../billing/checkout-session.js';
import { StripeError } from '../http/errors.js';
import type { FormObject } from '../http/form.js';
import type { Router } from '../http/router.js';
import { createCardPaymentMethod } from '../resources/payment-methods.js';
import type { Sandbox } from '../sandbox.js';
import { escapeHtml, formatMoney, htmlPage, redirect } from './html.js';

function renderCheckout(sandbox: Sandbox, session: CheckoutSession, error: string | null, status = 200) {
  const extras = sandbox.store.get<StoredCheckoutExtras>('_checkout_extras', session.id);
  const trialDays = extras?.request.subscription_data?.trial_period_days;
  const rows = (extras?.lineItems ?? [])
    .map((item) => {
      const recurring = item.price?.recurring;
      const amount =
        recurring?.usage_type === 'metered'
          ? 'billed by usage'
          : formatMoney(item.amount_total, item.currency);
      return `<tr><td>${escapeHtml(item.description)}</td><td>${item.quantity ?? ''}</td><td>${escapeHtml(amount)}${recurring ? ` / ${escapeHtml(recurring.interval)}` : ''}</td></tr>`;
    })
    .join('');
  const needsEmail = !session.customer && !session.customer_email;
  const body = `<h1>Pay ${escapeHtml(formatMoney(session.amount_total, session.currency))}</h1>
${trialDays ? `<p>${trialDays}-day free trial; nothing is charged today.</p>` : ''}
<table><tr><th>Item</th><th>Qty</th><th>Price</th></tr>${rows}</table>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/checkout/${escapeHtml(session.id)}">
${needsEmail ? '<label for="email">Email</label><input id="email" name="email" type="email" required>' : ''}
<label for="name">Name on card</label><input id="name" name="name" autocomplete="cc-name">
<label for="card_number">Card number</label><input id="card_number" name="card_number" inputmode="numeric" placeholder="4242 4242 4242 4242" required>
<label for="expiry">Expiry (MM / YY)</label><input id="expiry" name="expiry" placeholder="12 / 34">
<label for="cvc">CVC</label><input id="cvc" name="cvc" placeholder="123">
<label for="country">Country</label><input id="country" name="country" placeholder="US" maxlength="2">
<label for="postal_code">Postal code</label><input id="postal_code" name="postal_code">
${session.allow_promotion_codes ? '<label for="promotion_code">Promotion code</label><input id="promotion_code" name="promotion_code">' : ''}
<button type="submit" id="submit">${session.mode === 'setup' ? 'Save card' : trialDays ? 'Start trial' : 'Pay'}</button>
</form>
${
  session.payment_method_types.includes('us_bank_account')
    ? `<form method="post" action="/checkout/${escapeHtml(session.id)}"><input type="hidden" name="method" value="us_bank_account">${needsEmail ? '<label for="bank_email">Email</label><input id="bank_email" name="email" type="email" required>' : ''}<button type="submit" id="pay-bank">Pay with a test US bank account</button></form>`
    : ''
}
<p class="note">Test cards: 4242 4242 4242 4242 succeeds · 4000 0000 0000 0002 is declined · 4000 0000 0000 0341 attaches but later charges fail.</p>
${session.cancel_url ? `<p><a href="${escapeHtml(session.cancel_url)}">Cancel and go back</a></p>` : ''}`;
  return htmlPage('Checkout', body, status);
}

function field(body: FormObject, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

export function registerCheckoutPage(router: Router): void {
  router.page('GET', '/checkout/:id', ({ sandbox, params }) => {
    const session = sandbox.store.get<CheckoutSession>('checkout_sessions', params.id as string);
    if (!session) return htmlPage('Not found', '<h1>This checkout link is not valid.</h1>', 404);
    if (session.status !== 'open')
      return htmlPage('Checkout', `<h1>This checkout session is ${escapeHtml(session.status)}.</h1>`, 410);
    return renderCheckout(sandbox, session, null);
  });
  router.page('POST', '/checkout/:id', ({ sandbox, params, body }) => {
    const session = sandbox.store.get<CheckoutSession>('checkout_sessions', params.id as string);
    if (session?.status !== 'open' || !session)
      return htmlPage('Checkout', '<h1>This checkout session is no longer open.</h1>', 410);
    const viaBank =
      field(body, 'method') === 'us_bank_account' && session.payment_method_types.includes('us_bank_account');
    let paymentMethod = US_BANK_ACCOUNT_TOKEN;
    if (!viaBank) {
      const card = cardForNumber(field(body, 'card_number') ?? '');
      if (!card) return renderCheckout(sandbox, session, 'Your card number is not a sandbox test card.', 402);
      paymentMethod = createCardPaymentMethod(sandbox, card, null).id;
    }
    const country = field(body, 'country')?.toUpperCase();
    const postalCode = field(body, 'postal_code');
    try {
      completeCheckout(sandbox, session, {
        paymentMethod,
        email: field(body, 'email'),
        name: field(body, 'name'),
        promotionCode: field(body, 'promotion_code'),
        address:
          country || postalCode
            ? ({ country: country ?? null, postal_code: postalCode ?? null } as Partial<Stripe.Address>)
            : undefined,
      });
    } catch (error) {
      if (error instanceof StripeError) return renderCheckout(sandbox, session, error.body.message, 402);
      throw error;
    }
    return redirect((session.success_url ?? '/').replace('{CHECKOUT_SESSION_ID}', session.id));
  });
}
