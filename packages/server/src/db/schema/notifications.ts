import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

const instant = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * Notifications waiting for delivery (usage alerts, low credit balance; email and webhooks come later), written in the same transaction
 * as what they announce. A delivery worker claims undelivered rows with FOR UPDATE SKIP LOCKED.
 */
export const notificationOutbox = pgTable(
  'notification_outbox',
  {
    organizationId: text('organization_id').notNull(),
    id: text('id').notNull(),
    kind: text('kind').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    createdAt: instant('created_at').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: instant('next_attempt_at').notNull(),
    deliveredAt: instant('delivered_at'),
  },
  (table) => [
    primaryKey({ columns: [table.organizationId, table.id] }),
    index('notification_outbox_pending_idx')
      .on(table.organizationId, table.nextAttemptAt)
      .where(sql`${table.deliveredAt} is null`),
  ],
);
