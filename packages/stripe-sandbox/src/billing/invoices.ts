import type Stripe from 'stripe';
import type { Sandbox } from '../sandbox.js';
import type { Wire } from '../wire.js';
import { useUpOnceDiscounts } from './discounts.js';
import { buildInvoice, type Invoice, type InvoiceDraft } from './invoice-builder.js';
import { onInvoiceFailed, onInvoicePaid } from './invoice-outcomes.js';
import { recordInvoicePayment } from './invoice-payments.js';
import { charge, paymentMethodFor } from './payments.js';

export {
  buildInvoice,
  type DraftLine,
  type Invoice,
  type InvoiceDraft,
  type InvoiceLine,
} from './invoice-builder.js';

type Customer = Wire<Stripe.Customer>;
export function createInvoice(sandbox: Sandbox, draft: InvoiceDraft): Invoice {
  const invoice = buildInvoice(sandbox, draft);
  sandbox.store.insert('invoices', invoice);
  useUpOnceDiscounts(sandbox, draft.subscription, invoice.discounts as string[]);
  sandbox.emit('invoice.created', invoice, { clockId: invoice.test_clock as string | null });
  return invoice;
}

function save(sandbox: Sandbox, invoice: Invoice): void {
  sandbox.store.put('invoices', invoice);
}

/**
 * A credit on the customer's balance (negative `balance`, e.g. from a credit note) pays what it can of
 * the invoice when it is finalized: `starting_balance`, `ending_balance` and `amount_due` show it.
 */
function applyCustomerCredit(customer: Customer, invoice: Invoice): void {
  invoice.starting_balance = customer.balance;
  const applied = customer.balance < 0 ? Math.max(customer.balance, -invoice.amount_due) : 0;
  invoice.amount_due += applied;
  invoice.amount_remaining += applied;
  customer.balance -= applied;
  invoice.ending_balance = customer.balance;
}

/** Draft → open: numbers the invoice and publishes its hosted page and PDF. A zero invoice is paid at once. */
export function finalizeInvoice(sandbox: Sandbox, invoice: Invoice): Invoice {
  if (invoice.status !== 'draft') return invoice;
  const clockId = invoice.test_clock as string | null;
  const customer = sandbox.store.require<Customer>('customers', invoice.customer as string, 'customer');
  const sequence = customer.next_invoice_sequence ?? 1;
  customer.next_invoice_sequence = sequence + 1;
  applyCustomerCredit(customer, invoice);
  sandbox.store.put('customers', customer);
  const now = sandbox.now(clockId);
  invoice.status = 'open';
  invoice.number = `${customer.invoice_prefix}-${String(sequence).padStart(4, '0')}`;
  invoice.hosted_invoice_url = `${sandbox.baseUrl}/invoices/${invoice.id}`;
  invoice.invoice_pdf = `${sandbox.baseUrl}/invoices/${invoice.id}/pdf`;
  invoice.status_transitions.finalized_at = now;
  invoice.effective_at = now;
  invoice.automatically_finalizes_at = null;
  save(sandbox, invoice);
  sandbox.emit('invoice.finalized', invoice, { clockId });
  // Stripe marks a finalized invoice with nothing to collect as paid straight away.
  if (invoice.amount_due === 0) markPaid(sandbox, invoice);
  return invoice;
}

export function markPaid(sandbox: Sandbox, invoice: Invoice): void {
  const clockId = invoice.test_clock as string | null;
  invoice.status = 'paid';
  invoice.amount_paid = invoice.amount_due;
  invoice.amount_remaining = 0;
  invoice.next_payment_attempt = null;
  invoice.status_transitions.paid_at = sandbox.now(clockId);
  invoice.auto_advance = false;
  save(sandbox, invoice);
  sandbox.emit('invoice.paid', invoice, { clockId });
  sandbox.emit('invoice.payment_succeeded', invoice, { clockId });
  onInvoicePaid(sandbox, invoice);
}

/**
 * Charges an open invoice once. On failure the next attempt is scheduled from the retry settings
 * (`next_payment_attempt`), or none is left and the subscription follows the final-failure setting.
 */
export function attemptInvoicePayment(
  sandbox: Sandbox,
  invoice: Invoice,
  paymentMethod?: string | null,
): boolean {
  if (invoice.status === 'draft') finalizeInvoice(sandbox, invoice);
  if (invoice.status !== 'open') return invoice.status === 'paid';
  if (invoice.amount_due === 0) {
    markPaid(sandbox, invoice);
    return true;
  }
  const clockId = invoice.test_clock as string | null;
  const subscription = invoice.parent?.subscription_details?.subscription;
  const subscriptionMethod = subscription
    ? sandbox.store.get<Wire<Stripe.Subscription>>('subscriptions', subscription as string)
        ?.default_payment_method
    : null;
  const method = paymentMethodFor(
    sandbox,
    invoice.customer as string,
    paymentMethod ??
      (invoice.default_payment_method as string | null) ??
      (subscriptionMethod as string | null),
  );
  const outcome = charge(sandbox, {
    customer: invoice.customer as string,
    amount: invoice.amount_due,
    currency: invoice.currency,
    paymentMethod: method,
    description:
      invoice.billing_reason === 'subscription_create' ? 'Subscription creation' : 'Subscription update',
  });
  invoice.attempt_count += 1;
  invoice.attempted = true;
  recordInvoicePayment(sandbox, invoice, outcome.intent, outcome.succeeded);
  if (outcome.succeeded) {
    markPaid(sandbox, invoice);
    return true;
  }
  const delays = sandbox.settings.billing.retryDelaysDays;
  const retryIndex = invoice.attempt_count - 1;
  const delay = delays[retryIndex];
  invoice.next_payment_attempt =
    delay === undefined ||
    invoice.billing_reason === 'subscription_create' ||
    invoice.collection_method === 'send_invoice'
      ? null
      : sandbox.now(clockId) + Math.round(delay * 86_400);
  save(sandbox, invoice);
  sandbox.emit('invoice.payment_failed', invoice, { clockId });
  onInvoiceFailed(sandbox, invoice, invoice.next_payment_attempt === null);
  return false;
}

/** `send_invoice`: finalizes a draft and tells the customer (`invoice.sent`); Stripe e-mails the hosted page. */
export function sendInvoice(sandbox: Sandbox, invoice: Invoice): Invoice {
  if (invoice.status === 'draft') finalizeInvoice(sandbox, invoice);
  if (invoice.status === 'open') {
    sandbox.emit('invoice.sent', invoice, { clockId: invoice.test_clock as string | null });
  }
  return invoice;
}

export function voidInvoice(sandbox: Sandbox, invoice: Invoice): Invoice {
  invoice.status = 'void';
  invoice.next_payment_attempt = null;
  invoice.amount_remaining = 0;
  invoice.status_transitions.voided_at = sandbox.now(invoice.test_clock as string | null);
  save(sandbox, invoice);
  sandbox.emit('invoice.voided', invoice, { clockId: invoice.test_clock as string | null });
  return invoice;
}

export function markUncollectible(sandbox: Sandbox, invoice: Invoice): Invoice {
  invoice.status = 'uncollectible';
  invoice.next_payment_attempt = null;
  invoice.status_transitions.marked_uncollectible_at = sandbox.now(invoice.test_clock as string | null);
  save(sandbox, invoice);
  sandbox.emit('invoice.marked_uncollectible', invoice, { clockId: invoice.test_clock as string | null });
  return invoice;
}
