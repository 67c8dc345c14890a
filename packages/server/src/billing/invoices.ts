import type Stripe from 'stripe';
import { withTransaction } from '../db/transaction.js';
import { notFound } from '../errors.js';
import type { AppContext } from '../http/context.js';
import type { InvoiceRow } from '../invoices/invoice-rows.js';
import { upsertInvoice } from '../invoices/invoice-rows.js';
import { getOrganization } from '../organizations/service.js';
import { callStripe, requireStripe } from '../stripe/stripe-errors.js';
import { toInvoiceRow } from './invoice-mirror.js';

/**
 * Copies every invoice of the organization's Stripe customer into the mirror, for invoices made
 * before Tollgate listened or whose events were lost. Stripe's current state is what is stored, and
 * a newer state already mirrored is kept.
 */
export async function backfillInvoices(
  context: AppContext,
  organizationId: string,
): Promise<{ invoices: number }> {
  const gateway = requireStripe(context);
  const organization = await getOrganization(context.db, organizationId);
  if (!organization.stripeCustomerId) return { invoices: 0 };
  const customer = organization.stripeCustomerId;
  let count = 0;
  await callStripe(async () => {
    for await (const invoice of gateway.stripe.invoices.list({ customer, limit: 100 })) {
      if (!invoice.id) continue;
      const full = invoice.lines.has_more ? await gateway.stripe.invoices.retrieve(invoice.id) : invoice;
      // Read now, so it is at least as new as any event delivered before: stamped with its own latest change.
      const stamp = new Date(
        Math.max(
          invoice.created,
          invoice.status_transitions?.paid_at ?? 0,
          invoice.status_transitions?.finalized_at ?? 0,
        ) * 1000,
      );
      await withTransaction(context.db, (tx) =>
        upsertInvoice(tx, toInvoiceRow(organizationId, full, stamp, context.now())),
      );
      count += 1;
    }
  });
  return { invoices: count };
}

/** Stripe's preview of the next invoice of the organization's subscription, in the mirror's shape. */
export async function upcomingInvoice(context: AppContext, organizationId: string): Promise<InvoiceRow> {
  const gateway = requireStripe(context);
  const organization = await getOrganization(context.db, organizationId);
  const subscription = organization.subscription;
  if (
    !organization.stripeCustomerId ||
    !subscription?.stripeSubscriptionId ||
    subscription.source !== 'stripe'
  ) {
    throw notFound('upcoming invoice of organization', organizationId);
  }
  const customer = organization.stripeCustomerId;
  const preview: Stripe.Invoice = await callStripe(() =>
    gateway.stripe.invoices.createPreview({
      customer,
      subscription: subscription.stripeSubscriptionId as string,
    }),
  );
  const now = context.now();
  return toInvoiceRow(organizationId, { ...preview, id: '' } as Stripe.Invoice, now, now);
}
