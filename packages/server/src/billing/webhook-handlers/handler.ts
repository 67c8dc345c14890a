import { eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import { organizations } from '../../db/schema/index.js';
import type { DbOrTx } from '../../db/transaction.js';
import type { AppContext } from '../../http/context.js';
import { queueNotification } from '../../notifications/queue-notification.js';
import type { StripeGateway } from '../../stripe/stripe-gateway.js';

export { idOf } from '../../stripe/stripe-ids.js';

import { applyStripeSubscription } from '../apply-stripe-subscription.js';

export type WebhookInput<T = unknown> = {
  tx: DbOrTx;
  context: AppContext;
  gateway: StripeGateway;
  event: Stripe.Event;
  object: T;
  /** The organization of the event's Stripe customer (found when the event was stored); null: not ours. */
  customerOrganizationId: string | null;
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

/** The organization's customer, as the webhook handlers need it: its id and whether it exists. */
export async function organizationById(db: DbOrTx, organizationId: string | null) {
  if (!organizationId) return undefined;
  const [row] = await db.select().from(organizations).where(eq(organizations.id, organizationId));
  return row;
}

/** Reads the subscription from Stripe and applies it for the organization (stamped with the event's time). */
export async function applySubscriptionById(
  input: WebhookInput,
  organizationId: string,
  subscriptionId: string,
) {
  const subscription = await input.gateway.stripe.subscriptions.retrieve(subscriptionId);
  await applyStripeSubscription(input.tx, {
    gateway: input.gateway,
    catalog: input.context.catalog,
    organizationId,
    subscription,
    stateAt: new Date(input.event.created * 1000),
    actor: 'stripe',
    now: input.now,
  });
}

/** Queues what the organization is told about this event, in the event's transaction. */
export async function notify(
  input: WebhookInput,
  organizationId: string,
  kind: string,
  payload: Record<string, unknown>,
) {
  await queueNotification(input.tx, { organizationId, kind, payload, now: input.now });
}
