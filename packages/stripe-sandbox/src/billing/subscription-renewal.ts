import type Stripe from 'stripe';
import type { Sandbox } from '../sandbox.js';
import type { Wire } from '../wire.js';
import { attemptInvoicePayment, createInvoice } from './invoices.js';
import { licensedLines, meteredLines, pendingItemLines } from './subscription-lines.js';
import { endSubscription, type Subscription, saveWithUpdate } from './subscription-state.js';
import { nextPeriodEnd } from './subscriptions.js';

type Price = Wire<Stripe.Price>;

const FINALIZE_DELAY_SECONDS = 3600;

/**
 * Closes the current period at its end: cancels if asked to, otherwise starts the next period and drafts
 * the renewal invoice (licensed items ahead, metered usage of the closing period, pending prorations).
 * The draft is finalized and charged an hour later, as Stripe does.
 */
export function renewSubscription(
  sandbox: Sandbox,
  subscription: Subscription,
  /** A subscription schedule's next phase: applied after the closing period's usage is measured. */
  beforeNextPeriod?: () => void,
): void {
  let first = subscription.items.data[0];
  if (!first) return;
  const closing = { start: first.current_period_start, end: first.current_period_end };
  if (
    subscription.cancel_at_period_end ||
    (subscription.cancel_at !== null && subscription.cancel_at <= closing.end)
  ) {
    endSubscription(sandbox, subscription, 'cancellation_requested');
    return;
  }
  if (!['active', 'trialing', 'past_due'].includes(subscription.status)) return;
  const endingTrial = subscription.status === 'trialing';
  const closingUsage = endingTrial ? [] : meteredLines(sandbox, subscription, closing);
  if (beforeNextPeriod) {
    beforeNextPeriod();
    first = subscription.items.data[0];
    if (!first) return;
  }
  const next = { start: closing.end, end: nextPeriodEnd(first.price as Price, closing.end) };
  const before = structuredClone(subscription);
  for (const item of subscription.items.data) {
    item.current_period_start = next.start;
    item.current_period_end = next.end;
  }
  if (endingTrial) subscription.status = 'active';
  saveWithUpdate(sandbox, subscription, before);
  const invoiceLines = [...licensedLines(sandbox, subscription, next, false), ...closingUsage];
  const invoice = createInvoice(sandbox, {
    customer: subscription.customer as string,
    subscription: subscription.id,
    lines: [...invoiceLines, ...pendingItemLines(sandbox, subscription, null)],
    billingReason: 'subscription_cycle',
    periodStart: closing.start,
    periodEnd: closing.end,
    automaticTax: subscription.automatic_tax.enabled,
    autoFinalizeAt: closing.end + FINALIZE_DELAY_SECONDS,
  });
  pendingItemLines(sandbox, subscription, invoice.id);
  subscription.latest_invoice = invoice.id;
  sandbox.store.put('subscriptions', subscription);
}

/**
 * Cancels now. With `invoiceNow`, a final invoice bills the metered usage of the unfinished period and
 * any pending prorations, and is charged at once, as Stripe's `invoice_now` does.
 */
export function cancelSubscriptionNow(
  sandbox: Sandbox,
  subscription: Subscription,
  invoiceNow: boolean,
): void {
  if (subscription.status === 'canceled') return;
  const first = subscription.items.data[0];
  const now = sandbox.now(subscription.test_clock as string | null);
  endSubscription(sandbox, subscription, 'cancellation_requested');
  if (!invoiceNow || !first) return;
  const lines = [
    // Usage stamped in the very second of cancellation still belongs to this period.
    ...meteredLines(sandbox, subscription, { start: first.current_period_start, end: now + 1 }),
    ...pendingItemLines(sandbox, subscription, null),
  ];
  if (lines.length === 0) return;
  const invoice = createInvoice(sandbox, {
    customer: subscription.customer as string,
    subscription: subscription.id,
    lines,
    billingReason: 'subscription_cycle',
    periodStart: first.current_period_start,
    periodEnd: now,
    automaticTax: subscription.automatic_tax.enabled,
  });
  pendingItemLines(sandbox, subscription, invoice.id);
  subscription.latest_invoice = invoice.id;
  sandbox.store.put('subscriptions', subscription);
  attemptInvoicePayment(sandbox, invoice);
}
