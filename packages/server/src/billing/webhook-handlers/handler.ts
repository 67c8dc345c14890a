import { eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import { organizations } from '../../db/schema/index.js';
import type { DbOrTx } from '../../db/transaction.js';
import type { AppContext } from '../../http/context.js';
import type { StripeGateway } from '../../stripe/stripe-gateway.js';

export type WebhookInput<T = unknown> = {
  tx: DbOrTx;
  context: AppContext;
  gateway: StripeGateway;
  event: Stripe.Event;
  object: T;
  now: Date;
};

/** `ignored`: the event concerns nothing of Tollgate's (another product's customer on the same account). */
export type WebhookOutcome = { status: 'processed' | 'ignored'; organizationId: string | null };

export type WebhookHandler = (input: WebhookInput) => Promise<WebhookOutcome>;

export const ignored = (organizationId: string | null = null): WebhookOutcome => ({
  status: 'ignored',
  organizationId,
});
export const processed = (organizationId: string): WebhookOutcome => ({
  status: 'processed',
  organizationId,
});

export const idOf = (value: string | { id: string } | null | undefined): string | null =>
  value === null || value === undefined ? null : typeof value === 'string' ? value : value.id;

/** The organization whose Stripe customer this is; null for customers Tollgate did not create. */
export async function organizationOfCustomer(db: DbOrTx, customerId: string | null): Promise<string | null> {
  if (!customerId) return null;
  const [row] = await db
    .select({ id: organizations.id })
    .from(organizations)
    .where(eq(organizations.stripeCustomerId, customerId));
  return row?.id ?? null;
}

/** The organization's customer, as the webhook handlers need it: its id and whether it exists. */
export async function organizationById(db: DbOrTx, organizationId: string | null) {
  if (!organizationId) return undefined;
  const [row] = await db.select().from(organizations).where(eq(organizations.id, organizationId));
  return row;
}
