import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

const instant = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const minorUnits = (name: string) => bigint(name, { mode: 'number' });

export const stripeEventStatuses = ['received', 'processed', 'ignored', 'failed'] as const;
export type StripeEventStatus = (typeof stripeEventStatuses)[number];

/** Every Stripe event received, stored by id first so that a redelivery changes nothing (migration 0009). */
export const stripeEvents = pgTable(
  'stripe_events',
  {
    id: text('id').primaryKey(),
    type: text('type').notNull(),
    organizationId: text('organization_id'),
    objectId: text('object_id'),
    created: instant('created').notNull(),
    livemode: boolean('livemode').notNull(),
    status: text('status').$type<StripeEventStatus>().notNull(),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    receivedAt: instant('received_at').notNull(),
    processedAt: instant('processed_at'),
  },
  (table) => [index('stripe_events_status_idx').on(table.status, table.receivedAt)],
);

export type InvoiceLine = {
  id: string;
  description: string | null;
  amount: number;
  currency: string;
  quantity: number | null;
  price_id: string | null;
  proration: boolean;
  period_start: string | null;
  period_end: string | null;
};

/** Invoices mirrored from Stripe; amounts in integer minor units. */
export const invoices = pgTable(
  'invoices',
  {
    organizationId: text('organization_id').notNull(),
    id: text('id').notNull(),
    number: text('number'),
    status: text('status').notNull(),
    currency: text('currency').notNull(),
    billingReason: text('billing_reason'),
    stripeSubscriptionId: text('stripe_subscription_id'),
    subtotal: minorUnits('subtotal').notNull(),
    tax: minorUnits('tax').notNull(),
    total: minorUnits('total').notNull(),
    amountDue: minorUnits('amount_due').notNull(),
    amountPaid: minorUnits('amount_paid').notNull(),
    amountRemaining: minorUnits('amount_remaining').notNull(),
    hostedInvoiceUrl: text('hosted_invoice_url'),
    invoicePdf: text('invoice_pdf'),
    periodStart: instant('period_start'),
    periodEnd: instant('period_end'),
    lines: jsonb('lines').$type<InvoiceLine[]>().notNull(),
    created: instant('created').notNull(),
    stripeStateAt: instant('stripe_state_at').notNull(),
    updatedAt: instant('updated_at').notNull(),
  },
  (table) => [
    primaryKey({ name: 'invoices_pk', columns: [table.organizationId, table.id] }),
    index('invoices_listing_idx').on(table.organizationId, table.created.desc(), table.id.desc()),
  ],
);

/** Calls to Stripe owed once the change that asks for them commits; delivered by the outbox worker. */
export const stripeOutbox = pgTable(
  'stripe_outbox',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id'),
    kind: text('kind').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    createdAt: instant('created_at').notNull(),
    nextAttemptAt: instant('next_attempt_at').notNull(),
    deliveredAt: instant('delivered_at'),
  },
  (table) => [
    index('stripe_outbox_due_idx').on(table.nextAttemptAt).where(sql`${table.deliveredAt} is null`),
  ],
);
