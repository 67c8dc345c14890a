import type Stripe from 'stripe';
import { onCheckoutCompleted } from './checkout-events.js';
import { onCustomerUpdated } from './customer-events.js';
import type { WebhookHandler } from './handler.js';
import {
  onInvoiceChanged,
  onInvoicePaid,
  onInvoicePaymentFailed,
  onInvoiceUpcoming,
} from './invoice-events.js';
import { isPurchasePayment, onPaymentFailed, onPaymentSucceeded } from './payment-events.js';
import { onSubscriptionChanged, onTrialWillEnd } from './subscription-events.js';

/**
 * Events of these types that fail their test concern nothing Tollgate keeps: they are stored as
 * ignored in one statement, without a transaction or any lookup (most payment_intent.succeeded events
 * pay a subscription's invoice, which the invoice events handle).
 */
export const relevantEvent: ReadonlyMap<string, (event: Stripe.Event) => boolean> = new Map([
  ['payment_intent.succeeded', isPurchasePayment],
]);

/** One handler per Stripe event type; types not listed are stored and ignored. */
export const webhookHandlers: ReadonlyMap<string, WebhookHandler> = new Map<string, WebhookHandler>([
  ['checkout.session.completed', onCheckoutCompleted as WebhookHandler],
  ['checkout.session.async_payment_succeeded', onCheckoutCompleted as WebhookHandler],
  ['customer.subscription.created', onSubscriptionChanged as WebhookHandler],
  ['customer.subscription.updated', onSubscriptionChanged as WebhookHandler],
  ['customer.subscription.deleted', onSubscriptionChanged as WebhookHandler],
  ['customer.subscription.paused', onSubscriptionChanged as WebhookHandler],
  ['customer.subscription.resumed', onSubscriptionChanged as WebhookHandler],
  ['customer.subscription.trial_will_end', onTrialWillEnd as WebhookHandler],
  ['invoice.created', onInvoiceChanged as WebhookHandler],
  ['invoice.finalized', onInvoiceChanged as WebhookHandler],
  ['invoice.updated', onInvoiceChanged as WebhookHandler],
  ['invoice.voided', onInvoiceChanged as WebhookHandler],
  ['invoice.marked_uncollectible', onInvoiceChanged as WebhookHandler],
  ['invoice.paid', onInvoicePaid as WebhookHandler],
  ['invoice.payment_succeeded', onInvoicePaid as WebhookHandler],
  ['invoice.payment_failed', onInvoicePaymentFailed as WebhookHandler],
  ['invoice.upcoming', onInvoiceUpcoming as WebhookHandler],
  ['payment_intent.succeeded', onPaymentSucceeded as WebhookHandler],
  ['payment_intent.payment_failed', onPaymentFailed as WebhookHandler],
  ['customer.updated', onCustomerUpdated as WebhookHandler],
]);
