import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

export type BillingAddress = {
  line1?: string | undefined;
  line2?: string | undefined;
  city?: string | undefined;
  state?: string | undefined;
  postal_code?: string | undefined;
  country: string;
};
export type TaxIdInput = { type: string; value: string };

/** What a subscription will become at its period end (a downgrade), as Stripe's schedule says. */
export type ScheduledChange = { plan: string; interval: 'month' | 'year'; at: string };

const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();

/** The paying customer. `id` is the host app's own identifier. */
export const organizations = pgTable('organizations', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  email: text('email'),
  /** A public/trial organization: each user gets their own trial allowance. */
  trialOrganization: boolean('trial_organization').notNull().default(false),
  stripeCustomerId: text('stripe_customer_id'),
  taxExempt: text('tax_exempt').$type<'none' | 'exempt' | 'reverse'>().notNull().default('none'),
  billingAddress: jsonb('billing_address').$type<BillingAddress | null>(),
  taxIds: jsonb('tax_ids').$type<TaxIdInput[]>().notNull().default([]),
  /** Test mode: the Stripe test clock the customer was created on (migration 0009). */
  stripeTestClockId: text('stripe_test_clock_id'),
  metadata: jsonb('metadata').$type<Record<string, string>>().notNull().default({}),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const projects = pgTable(
  'projects',
  {
    organizationId: text('organization_id').notNull(),
    id: text('id').notNull(),
    name: text('name').notNull(),
    metadata: jsonb('metadata').$type<Record<string, string>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (table) => [primaryKey({ columns: [table.organizationId, table.id] })],
);

/** A person known to the host app; `id` is the host app's own. Users may belong to several organizations. */
export const users = pgTable('users', {
  id: text('id').primaryKey(),
  email: text('email'),
  name: text('name'),
  createdAt: createdAt(),
});

export const organizationMembers = pgTable(
  'organization_members',
  {
    organizationId: text('organization_id').notNull(),
    userId: text('user_id').notNull(),
    role: text('role').notNull().default('member'),
    createdAt: createdAt(),
  },
  (table) => [
    primaryKey({ columns: [table.organizationId, table.userId] }),
    index('organization_members_user_idx').on(table.userId),
  ],
);

/** Host-app secret keys. Only a hash of the secret is stored; the secret is shown once. */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    /** The first characters of the secret, safe to show so people can tell keys apart. */
    displayPrefix: text('display_prefix').notNull(),
    secretHash: text('secret_hash').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
  },
  (table) => [uniqueIndex('api_keys_secret_hash_idx').on(table.secretHash)],
);

/** Every catalog definition the server has loaded, by content hash. */
export const catalogVersions = pgTable('catalog_versions', {
  hash: text('hash').primaryKey(),
  version: text('version').notNull(),
  definition: jsonb('definition').notNull(),
  firstLoadedAt: timestamp('first_loaded_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  lastLoadedAt: timestamp('last_loaded_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

export const subscriptionStatuses = [
  'incomplete',
  'trialing',
  'active',
  'past_due',
  'unpaid',
  'canceled',
  'expired',
] as const;
export type SubscriptionStatus = (typeof subscriptionStatuses)[number];

/** An organization's plan. One live (not canceled/expired) subscription per organization. */
export const subscriptions = pgTable(
  'subscriptions',
  {
    organizationId: text('organization_id').notNull(),
    id: text('id').notNull(),
    planCode: text('plan_code').notNull(),
    interval: text('interval').$type<'month' | 'year'>().notNull().default('month'),
    status: text('status').$type<SubscriptionStatus>().notNull(),
    /** How the plan was assigned: the default plan, an operator (manual/invoiced deal) or Stripe. */
    source: text('source').$type<'default' | 'manual' | 'stripe'>().notNull(),
    currentPeriodStart: timestamp('current_period_start', { withTimezone: true, mode: 'date' }).notNull(),
    currentPeriodEnd: timestamp('current_period_end', { withTimezone: true, mode: 'date' }).notNull(),
    /** Anniversary periods are computed from this instant (migration 0008); calendar months ignore it. */
    billingCycleAnchor: timestamp('billing_cycle_anchor', { withTimezone: true, mode: 'date' }).notNull(),
    trialEnd: timestamp('trial_end', { withTimezone: true, mode: 'date' }),
    cancelAtPeriodEnd: boolean('cancel_at_period_end').notNull().default(false),
    canceledAt: timestamp('canceled_at', { withTimezone: true, mode: 'date' }),
    stripeSubscriptionId: text('stripe_subscription_id'),
    /** Stripe's own status, which may say more than ours (incomplete_expired, paused). */
    stripeStatus: text('stripe_status'),
    stripePriceId: text('stripe_price_id'),
    stripeScheduleId: text('stripe_schedule_id'),
    scheduledChange: jsonb('scheduled_change').$type<ScheduledChange | null>(),
    /** When the Stripe state last applied was current: an older event never overwrites it. */
    stripeStateAt: timestamp('stripe_state_at', { withTimezone: true, mode: 'date' }),
    endedAt: timestamp('ended_at', { withTimezone: true, mode: 'date' }),
    catalogHash: text('catalog_hash').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    primaryKey({ columns: [table.organizationId, table.id] }),
    uniqueIndex('subscriptions_one_live_idx')
      .on(table.organizationId)
      .where(sql`${table.status} not in ('canceled', 'expired')`),
    index('subscriptions_stripe_idx').on(table.stripeSubscriptionId),
    index('subscriptions_renewal_idx')
      .on(table.currentPeriodEnd)
      .where(sql`${table.status} not in ('canceled', 'expired') and ${table.source} <> 'stripe'`),
  ],
);

/** Plan history: every change to a subscription, never updated or deleted. */
export const subscriptionHistory = pgTable(
  'subscription_history',
  {
    organizationId: text('organization_id').notNull(),
    id: bigint('id', { mode: 'number' }).generatedAlwaysAsIdentity(),
    subscriptionId: text('subscription_id').notNull(),
    change: text('change').notNull(),
    fromPlanCode: text('from_plan_code'),
    toPlanCode: text('to_plan_code'),
    fromStatus: text('from_status'),
    toStatus: text('to_status'),
    actor: text('actor').notNull(),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
    occurredAt: timestamp('occurred_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.organizationId, table.id] })],
);

/** Append-only record of every billing operation: who, what, before and after. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    /** Null for operations that concern no single organization, such as creating an API key. */
    organizationId: text('organization_id'),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    targetType: text('target_type').notNull(),
    targetId: text('target_id').notNull(),
    before: jsonb('before'),
    after: jsonb('after'),
    requestId: text('request_id'),
    occurredAt: timestamp('occurred_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [index('audit_log_organization_idx').on(table.organizationId, table.id)],
);
