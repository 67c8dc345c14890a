import { and, desc, eq, lt, or, type SQL, sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import { type StripeEventStatus, stripeEvents } from '../../db/schema/index.js';
import type { DbOrTx } from '../../db/transaction.js';

export type StoredStripeEvent = typeof stripeEvents.$inferSelect;

/** Stores a verified event by its id before anything is applied; a redelivery finds the row already there. */
export async function storeStripeEvent(db: DbOrTx, event: Stripe.Event, now: Date): Promise<void> {
  const object = event.data.object as { id?: unknown };
  await db
    .insert(stripeEvents)
    .values({
      id: event.id,
      type: event.type,
      objectId: typeof object.id === 'string' ? object.id : null,
      created: new Date(event.created * 1000),
      livemode: event.livemode,
      status: 'received',
      payload: event as unknown as Record<string, unknown>,
      receivedAt: now,
    })
    .onConflictDoNothing();
}

/** Locks the event's row for the transaction that applies it, so two deliveries never apply it twice. */
export async function lockStripeEvent(tx: DbOrTx, eventId: string): Promise<StoredStripeEvent | undefined> {
  const [row] = await tx.select().from(stripeEvents).where(eq(stripeEvents.id, eventId)).for('update');
  return row;
}

export async function markStripeEvent(
  db: DbOrTx,
  eventId: string,
  outcome: { status: StripeEventStatus; organizationId?: string | null; error?: string | null; now: Date },
): Promise<void> {
  await db
    .update(stripeEvents)
    .set({
      status: outcome.status,
      attempts: sql`${stripeEvents.attempts} + 1`,
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
