import { and, eq, lte } from 'drizzle-orm';
import type Stripe from 'stripe';
import { type BillingAddress, organizations } from '../../db/schema/index.js';
import { ignored, processed, type WebhookInput, type WebhookOutcome } from './handler.js';

function addressOf(address: Stripe.Address | null): BillingAddress | null {
  if (!address?.country) return null;
  const entries = Object.entries({
    line1: address.line1,
    line2: address.line2,
    city: address.city,
    state: address.state,
    postal_code: address.postal_code,
  }).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== '');
  return { ...Object.fromEntries(entries), country: address.country };
}

const taxExemptOf = (value: string | null | undefined) =>
  value === 'exempt' || value === 'reverse' ? value : 'none';

/**
 * customer.updated: what the customer changed in the Portal or Checkout (address, tax status, email)
 * is taken into the organization. Nothing is queued back to Stripe: the values came from there.
 */
export async function onCustomerUpdated(input: WebhookInput<Stripe.Customer>): Promise<WebhookOutcome> {
  const customer = input.object;
  const organizationId = input.customerOrganizationId;
  if (!organizationId) return ignored();
  await input.tx
    .update(organizations)
    .set({
      ...(customer.email ? { email: customer.email } : {}),
      ...(customer.name ? { name: customer.name } : {}),
      billingAddress: addressOf(customer.address ?? null),
      taxExempt: taxExemptOf(customer.tax_exempt),
      updatedAt: input.now,
    })
    // A change made in Tollgate after this event is newer; its own push to Stripe follows.
    .where(
      and(
        eq(organizations.id, organizationId),
        lte(organizations.updatedAt, new Date(input.event.created * 1000)),
      ),
    );
  return processed(organizationId);
}
