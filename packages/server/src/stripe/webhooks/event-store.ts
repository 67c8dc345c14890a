import { and, desc, eq, lt, or, type SQL, sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import { namedStatement, valuesOf } from '../../db/named-statement.js';
import { organizations, type StripeEventStatus, stripeEvents } from '../../db/schema/index.js';
import type { StatementSession } from '../../db/statement-transaction.js';
import type { DbOrTx } from '../../db/transaction.js';

export type StoredStripeEvent = typeof stripeEvents.$inferSelect;

const rowOf = (event: Stripe.Event, status: StripeEventStatus, now: Date) => {
  const object = event.data.object as { id?: unknown };
  return {
    id: event.id,
    type: event.type,
    objectId: typeof object.id === 'string' ? object.id : null,
    created: new Date(event.created * 1000),
    livemode: event.livemode,
    status,
    payload: event as unknown as Record<string, unknown>,
    receivedAt: now,
  };
};

/** The Stripe customer an event is about: its object's `customer`, or the customer itself. */
export function customerOfEvent(event: Stripe.Event): string | null {
  const object = event.data.object as { object?: string; id?: unknown; customer?: unknown };
  if (object.object === 'customer') return typeof object.id === 'string' ? object.id : null;
  const customer = object.customer as string | { id?: unknown } | null | undefined;
  if (typeof customer === 'string') return customer;
  return customer && typeof customer.id === 'string' ? customer.id : null;
}

export type ClaimedStripeEvent =
  /** New: stored now (as processed, within this transaction); `organizationId` is its customer's organization. */
  | { status: null; organizationId: string | null }
  /** Stored before: its row is locked for this transaction. */
  | { status: StripeEventStatus; organizationId: string | null };

const CLAIM_EVENT = namedStatement(
  'stripe_event_claim',
  ['id', 'type', 'objectId', 'created', 'livemode', 'payload', 'receivedAt', 'customer'],
  (p) =>
    // Stored as processed: the row is seen by others only if the transaction that applies it commits
    // (a failure rolls it back and records it as failed), so most events need no second write.
    `insert into stripe_events (id, type, object_id, created, livemode, status, attempts, payload, received_at,
                                processed_at, organization_id)
     values (${p.id}, ${p.type}, ${p.objectId}, ${p.created}::timestamptz, ${p.livemode}::boolean, 'processed', 1,
             ${p.payload}::jsonb, ${p.receivedAt}::timestamptz, ${p.receivedAt}::timestamptz,
             (select id from organizations where stripe_customer_id = ${p.customer}::text))
     on conflict (id) do nothing
     returning organization_id`,
);

/**
 * Stores a verified event by its id, first thing in the transaction that applies it (its BEGIN
 * travels with this statement), and finds the organization of its Stripe customer in the same
 * statement. An event already stored answers its status, with its row locked, so two deliveries of
 * one event never both apply it (the second waits, then finds it processed).
 */
export async function claimStripeEvent(
  session: StatementSession,
  event: Stripe.Event,
  now: Date,
): Promise<ClaimedStripeEvent> {
  const row = rowOf(event, 'received', now);
  const customer = customerOfEvent(event);
  const [inserted] = await session.run<{ organization_id: string | null }>(
    CLAIM_EVENT,
    valuesOf(CLAIM_EVENT, {
      id: row.id,
      type: row.type,
      objectId: row.objectId,
      created: row.created.toISOString(),
      livemode: String(row.livemode),
      payload: JSON.stringify(row.payload),
      receivedAt: row.receivedAt.toISOString(),
      customer,
    }),
  );
  if (inserted) return { status: null, organizationId: inserted.organization_id };
  const tx = session.asTransaction();
  const [stored] = await tx
    .select({ status: stripeEvents.status, organizationId: stripeEvents.organizationId })
    .from(stripeEvents)
    .where(eq(stripeEvents.id, event.id))
    .for('update');
  if (!stored) return { status: null, organizationId: null };
  if (stored.status === 'processed' || stored.status === 'ignored') return stored;
  // A failed event retried: its customer may have been linked to an organization since.
  const [found] = await tx
    .select({ id: organizations.id })
    .from(organizations)
    .where(eq(organizations.stripeCustomerId, customer ?? ''));
  return { status: stored.status, organizationId: found?.id ?? null };
}

/** Stores an event that concerns nothing Tollgate keeps; a redelivery finds it. Answers whether it was new. */
export async function storeIgnoredStripeEvent(db: DbOrTx, event: Stripe.Event, now: Date): Promise<boolean> {
  const inserted = await db
    .insert(stripeEvents)
    .values({ ...rowOf(event, 'ignored', now), attempts: 1, processedAt: now })
    .onConflictDoNothing()
    .returning({ id: stripeEvents.id });
  return inserted.length > 0;
}

/** Records an event whose application failed (its transaction rolled back), for the operator and Stripe's retry. */
export async function recordFailedStripeEvent(
  db: DbOrTx,
  event: Stripe.Event,
  error: string,
  now: Date,
): Promise<void> {
  await db
    .insert(stripeEvents)
    .values({ ...rowOf(event, 'failed', now), attempts: 1, lastError: error })
    .onConflictDoUpdate({
      target: stripeEvents.id,
      set: { status: 'failed', attempts: sql`${stripeEvents.attempts} + 1`, lastError: error },
      setWhere: sql`${stripeEvents.status} not in ('processed', 'ignored')`,
    });
}

export async function markStripeEvent(
  db: DbOrTx,
  eventId: string,
  outcome: {
    status: StripeEventStatus;
    organizationId?: string | null;
    error?: string | null;
    /** An earlier delivery failed: this one is another attempt (a new event is stored with attempts 1). */
    retried: boolean;
    now: Date;
  },
): Promise<void> {
  await db
    .update(stripeEvents)
    .set({
      status: outcome.status,
      ...(outcome.retried && { attempts: sql`${stripeEvents.attempts} + 1` }),
      lastError: outcome.error ?? null,
      ...(outcome.organizationId !== undefined && { organizationId: outcome.organizationId }),
      ...(outcome.status === 'failed' ? {} : { processedAt: outcome.now }),
    })
    .where(eq(stripeEvents.id, eventId));
}

/** Newest first; the cursor is the last id of the previous page. */
export async function listStripeEvents(
  db: DbOrTx,
  filter: {
    status?: StripeEventStatus | undefined;
    type?: string | undefined;
    limit: number;
    startingAfter?: string | undefined;
  },
): Promise<{ rows: StoredStripeEvent[]; hasMore: boolean }> {
  let cursor: SQL | undefined;
  if (filter.startingAfter) {
    const [after] = await db
      .select({ receivedAt: stripeEvents.receivedAt, id: stripeEvents.id })
      .from(stripeEvents)
      .where(eq(stripeEvents.id, filter.startingAfter));
    if (after) {
      cursor = or(
        lt(stripeEvents.receivedAt, after.receivedAt),
        and(eq(stripeEvents.receivedAt, after.receivedAt), lt(stripeEvents.id, after.id)),
      );
    }
  }
  const rows = await db
    .select()
    .from(stripeEvents)
    .where(
      and(
        filter.status ? eq(stripeEvents.status, filter.status) : undefined,
        filter.type ? eq(stripeEvents.type, filter.type) : undefined,
        cursor,
      ),
    )
    .orderBy(desc(stripeEvents.receivedAt), desc(stripeEvents.id))
    .limit(filter.limit + 1);
  return { rows: rows.slice(0, filter.limit), hasMore: rows.length > filter.limit };
}
