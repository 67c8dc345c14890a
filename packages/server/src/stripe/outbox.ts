import { and, asc, eq, isNull, lte, sql } from 'drizzle-orm';
import { randomId } from '../auth/secrets.js';
import type { Database } from '../db/client.js';
import { stripeOutbox } from '../db/schema/index.js';
import { type DbOrTx, withTransaction } from '../db/transaction.js';
import type { StripeGateway } from './stripe-gateway.js';

export type StripeOutboxRow = typeof stripeOutbox.$inferSelect;

/**
 * What a queued call does when delivered; it must be safe to repeat (it pushes current state). It may
 * answer work to run once its row is marked delivered and committed (what reads outside the transaction).
 */
export type StripeCallHandler = (
  row: StripeOutboxRow,
  gateway: StripeGateway,
  db: DbOrTx,
) => Promise<void | (() => Promise<void>)>;

/** Queues a Stripe call in the transaction of the change that asks for it: sent if and only if that commits. */
export async function queueStripeCall(
  tx: DbOrTx,
  call: { organizationId: string | null; kind: string; payload: Record<string, unknown>; now: Date },
): Promise<string> {
  const id = randomId('sco');
  await tx.insert(stripeOutbox).values({
    id,
    organizationId: call.organizationId,
    kind: call.kind,
    payload: call.payload,
    idempotencyKey: `tollgate-${id}`,
    createdAt: call.now,
    nextAttemptAt: call.now,
  });
  return id;
}

/** 2 s, 4 s, 8 s … up to an hour between attempts: an outage delays delivery, never loses it. */
export const retryDelayMs = (attempts: number) => Math.min(3_600_000, 1000 * 2 ** Math.min(attempts, 12));

/**
 * Delivers due calls, one row per transaction, claimed with SKIP LOCKED so that several processes
 * share the work and none sends a row twice. Returns how many were delivered and how many failed.
 */
export async function deliverStripeOutbox(
  db: Database,
  gateway: StripeGateway,
  handlers: Readonly<Record<string, StripeCallHandler>>,
  now: Date,
  limit = 100,
): Promise<{ delivered: number; failed: number }> {
  let delivered = 0;
  let failed = 0;
  for (let round = 0; round < limit; round += 1) {
    const outcome = await withTransaction(db, async (tx) => {
      const [row] = await tx
        .select()
        .from(stripeOutbox)
        .where(
          and(
            isNull(stripeOutbox.deliveredAt),
            lte(stripeOutbox.nextAttemptAt, now),
            // A parked organization (invariants/) pushes nothing to Stripe: its calls wait until cleared.
            sql`not exists (select 1 from parked_organizations p where p.organization_id = ${stripeOutbox.organizationId})`,
          ),
        )
        .orderBy(asc(stripeOutbox.nextAttemptAt))
        .limit(1)
        .for('update', { skipLocked: true });
      if (!row) return { kind: 'empty' as const };
      const handler = Object.hasOwn(handlers, row.kind) ? handlers[row.kind] : undefined;
      try {
        if (!handler) throw new Error(`no handler for queued Stripe call "${row.kind}"`);
        // A savepoint: a handler that fails leaves none of its writes, and the row still records the failure.
        const afterCommit = await tx.transaction((inner) =>
          handler(row, gateway, inner as unknown as DbOrTx),
        );
        await tx
          .update(stripeOutbox)
          .set({ deliveredAt: now, attempts: row.attempts + 1, lastError: null })
          .where(eq(stripeOutbox.id, row.id));
        return { kind: 'delivered' as const, afterCommit };
      } catch (error) {
        await tx
          .update(stripeOutbox)
          .set({
            attempts: row.attempts + 1,
            lastError: error instanceof Error ? error.message.slice(0, 500) : String(error).slice(0, 500),
            nextAttemptAt: new Date(now.getTime() + retryDelayMs(row.attempts + 1)),
          })
          .where(eq(stripeOutbox.id, row.id));
        return { kind: 'failed' as const };
      }
    });
    if (outcome.kind === 'empty') break;
    if (outcome.kind === 'delivered') {
      delivered += 1;
      if (outcome.afterCommit) await outcome.afterCommit();
    } else failed += 1;
  }
  return { delivered, failed };
}
