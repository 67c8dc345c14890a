import { createHash } from 'node:crypto';
import { STRIPE_METADATA } from '@tollgate/core';
import { and, eq, isNull } from 'drizzle-orm';
import type Stripe from 'stripe';
import { organizations } from '../db/schema/index.js';
import type { DbOrTx } from '../db/transaction.js';
import { notFound } from '../errors.js';
import type { StripeGateway } from '../stripe/stripe-gateway.js';

type OrganizationRow = typeof organizations.$inferSelect;

/** The customer fields Tollgate owns, from the organization's row. */
export function customerFields(organization: OrganizationRow) {
  return {
    name: organization.name,
    email: organization.email ?? '',
    address: organization.billingAddress
      ? {
          line1: organization.billingAddress.line1 ?? '',
          line2: organization.billingAddress.line2 ?? '',
          city: organization.billingAddress.city ?? '',
          state: organization.billingAddress.state ?? '',
          postal_code: organization.billingAddress.postal_code ?? '',
          country: organization.billingAddress.country,
        }
      : ('' as const),
    tax_exempt: organization.taxExempt,
    metadata: { [STRIPE_METADATA.organization]: organization.id },
  };
}

/** One idempotency key per organization and request content: a retry, or a racing request, gets the same customer. */
const keyFor = (what: string, content: unknown) =>
  `tollgate-${what}-${createHash('sha256').update(JSON.stringify(content)).digest('base64url').slice(0, 40)}`;

export type StripeCustomerRef = { customerId: string; testClockId: string | null };

/**
 * The organization's Stripe customer, created on first use (Checkout or Portal) with the organization
 * id in its metadata and, in test mode with test clocks, on a test clock of its own.
 */
export async function ensureStripeCustomer(
  db: DbOrTx,
  gateway: StripeGateway,
  organizationId: string,
  now: Date,
): Promise<StripeCustomerRef> {
  const [organization] = await db.select().from(organizations).where(eq(organizations.id, organizationId));
  if (!organization) throw notFound('organization', organizationId);
  if (organization.stripeCustomerId) {
    return { customerId: organization.stripeCustomerId, testClockId: organization.stripeTestClockId };
  }
  let testClockId: string | null = null;
  if (gateway.testClocks) {
    const clock = await gateway.stripe.testHelpers.testClocks.create(
      { frozen_time: Math.floor(now.getTime() / 1000), name: `Tollgate ${organizationId}`.slice(0, 300) },
      { idempotencyKey: keyFor('clock', organizationId) },
    );
    testClockId = clock.id;
  }
  const fields = customerFields(organization);
  const params: Stripe.CustomerCreateParams = {
    ...fields,
    ...(fields.address === '' ? { address: undefined } : {}),
    ...(organization.taxIds.length > 0 && {
      tax_id_data: organization.taxIds.map((taxId) => ({
        type: taxId.type as Stripe.CustomerCreateParams.TaxIdDatum.Type,
        value: taxId.value,
      })),
    }),
    ...(testClockId && { test_clock: testClockId }),
  };
  const customer = await gateway.stripe.customers.create(params, {
    idempotencyKey: keyFor('customer', { organizationId, params }),
  });
  // Another request may have stored a customer first; then that one stays and this one is unused.
  const [stored] = await db
    .update(organizations)
    .set({ stripeCustomerId: customer.id, stripeTestClockId: testClockId })
    .where(and(eq(organizations.id, organizationId), isNull(organizations.stripeCustomerId)))
    .returning({ customerId: organizations.stripeCustomerId, testClockId: organizations.stripeTestClockId });
  if (stored?.customerId) return { customerId: stored.customerId, testClockId: stored.testClockId };
  const [winner] = await db.select().from(organizations).where(eq(organizations.id, organizationId));
  return {
    customerId: winner?.stripeCustomerId ?? customer.id,
    testClockId: winner?.stripeTestClockId ?? null,
  };
}

/** Brings the Stripe customer up to date with the organization: fields, then tax ids by difference. */
export async function pushCustomer(gateway: StripeGateway, organization: OrganizationRow): Promise<void> {
  const customerId = organization.stripeCustomerId;
  if (!customerId) return;
  await gateway.stripe.customers.update(customerId, customerFields(organization));
  const existing: Stripe.TaxId[] = [];
  for await (const taxId of gateway.stripe.customers.listTaxIds(customerId, { limit: 100 }))
    existing.push(taxId);
  const wanted = new Set(organization.taxIds.map((taxId) => `${taxId.type}:${taxId.value}`));
  for (const taxId of existing) {
    if (!wanted.has(`${taxId.type}:${taxId.value}`))
      await gateway.stripe.customers.deleteTaxId(customerId, taxId.id);
  }
  const present = new Set(existing.map((taxId) => `${taxId.type}:${taxId.value}`));
  for (const taxId of organization.taxIds) {
    if (present.has(`${taxId.type}:${taxId.value}`)) continue;
    await gateway.stripe.customers.createTaxId(customerId, {
      type: taxId.type as Stripe.CustomerCreateTaxIdParams.Type,
      value: taxId.value,
    });
  }
}
