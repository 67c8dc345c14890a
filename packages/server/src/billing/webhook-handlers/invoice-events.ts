import { type PaidPlanLine, subscriptionCreditsForPaidInvoice } from '@tollgate/core';
import type Stripe from 'stripe';
import { grantCreditsOnce } from '../../credits/grant.js';
import { operationKeyOf, storedOperationKeys } from '../../credits/idempotency.js';
import { mirrorInvoice } from '../../invoices/invoice-rows.js';
import { subscriptionByStripeId } from '../../subscriptions/stripe-subscription-rows.js';
import { isProration, priceOfLine, subscriptionOfInvoice, toInvoiceRow } from '../invoice-mirror.js';
import { planOfPrice } from '../price-plans.js';
import {
  applySubscriptionById,
  ignored,
  notify,
  processed,
  type WebhookInput,
  type WebhookOutcome,
} from './handler.js';

/** invoice.created|finalized|voided|marked_uncollectible: the invoice is mirrored. */
export async function onInvoiceChanged(input: WebhookInput<Stripe.Invoice>): Promise<WebhookOutcome> {
  const organizationId = input.customerOrganizationId;
  if (!organizationId || !input.object.id) return ignored(organizationId);
  await mirrorInvoice(
    input.tx,
    toInvoiceRow(organizationId, input.object, new Date(input.event.created * 1000), input.now),
  );
  return processed(organizationId);
}

/**
 * invoice.paid|payment_succeeded: mirrored, and a subscription invoice grants the plan's credits for
 * the period it paid (each grant keyed by subscription, period and plan, so both events grant once).
 */
export async function onInvoicePaid(input: WebhookInput<Stripe.Invoice>): Promise<WebhookOutcome> {
  const outcome = await onInvoiceChanged(input);
  const organizationId = outcome.organizationId;
  const stripeSubscriptionId = subscriptionOfInvoice(input.object);
  if (outcome.status === 'ignored' || !organizationId || !stripeSubscriptionId) return outcome;
  let row = await subscriptionByStripeId(input.tx, organizationId, stripeSubscriptionId);
  if (!row) {
    // The invoice arrived before any subscription event: apply the subscription first.
    await applySubscriptionById(input, organizationId, stripeSubscriptionId);
    row = await subscriptionByStripeId(input.tx, organizationId, stripeSubscriptionId);
    if (!row) return outcome;
  }
  const lines: PaidPlanLine[] = [];
  for (const line of input.object.lines.data) {
    const priceId = priceOfLine(line);
    if (!priceId || !line.period) continue;
    const price = await input.gateway.prices.byId(priceId);
    if (price.recurring?.usage_type === 'metered') continue;
    const plan = planOfPrice(input.context.catalog, price);
    if (!plan) continue;
    lines.push({
      plan: plan.plan,
      period: { start: new Date(line.period.start * 1000), end: new Date(line.period.end * 1000) },
      proration: isProration(line),
      amount: line.amount,
    });
  }
  const grants = subscriptionCreditsForPaidInvoice({
    catalog: input.context.catalog,
    subscriptionId: row.id,
    lines,
    now: input.now,
  });
  // invoice.paid and invoice.payment_succeeded both arrive for every paid invoice: the second finds
  // its grants stored with one query instead of replaying each through the ledger.
  const stored = await storedOperationKeys(
    input.tx,
    'allocation',
    grants.map((grant) => ({ organizationId, idempotencyKey: grant.idempotencyKey })),
  );
  for (const grant of grants) {
    if (stored.has(operationKeyOf(organizationId, grant.idempotencyKey))) continue;
    await grantCreditsOnce(input.tx, input.context.catalog, {
      organization_id: organizationId,
      amount: grant.amount,
      source: 'subscription',
      expires_at: grant.expiresAt,
      granted_at: grant.grantedAt,
      idempotency_key: grant.idempotencyKey,
      note: `${grant.plan} subscription credits`,
      now: input.now,
      actor: 'stripe',
      kind: 'allocation',
    });
  }
  return outcome;
}

/** invoice.payment_failed: mirrored, and the organization is told (the subscription's own event moves it to past_due). */
export async function onInvoicePaymentFailed(input: WebhookInput<Stripe.Invoice>): Promise<WebhookOutcome> {
  const outcome = await onInvoiceChanged(input);
  if (outcome.status === 'ignored' || !outcome.organizationId) return outcome;
  await notify(input, outcome.organizationId, 'invoice.payment_failed', {
    invoice: input.object.id,
    amount_due: input.object.amount_due,
    currency: input.object.currency,
    hosted_invoice_url: input.object.hosted_invoice_url ?? null,
    next_payment_attempt: input.object.next_payment_attempt
      ? new Date(input.object.next_payment_attempt * 1000).toISOString()
      : null,
  });
  return outcome;
}

/** invoice.upcoming: a preview (no id), so nothing is mirrored; the organization is told what is coming. */
export async function onInvoiceUpcoming(input: WebhookInput<Stripe.Invoice>): Promise<WebhookOutcome> {
  const organizationId = input.customerOrganizationId;
  if (!organizationId) return ignored();
  await notify(input, organizationId, 'invoice.upcoming', {
    amount_due: input.object.amount_due,
    currency: input.object.currency,
    period_end: input.object.period_end ? new Date(input.object.period_end * 1000).toISOString() : null,
    next_payment_attempt: input.object.next_payment_attempt
      ? new Date(input.object.next_payment_attempt * 1000).toISOString()
      : null,
  });
  return processed(organizationId);
}
