import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * A wallet is an organization's own (`wallet_user_id` = '') or one of its users' (for rewards between
 * users). Every table leads with organization_id so the ledger shards with its organization.
 */
const walletUserId = () => text('wallet_user_id').notNull().default('');

/** A grant of credits. `remaining` only ever goes down, and never below zero. */
export const creditLots = pgTable(
  'credit_lots',
  {
    organizationId: text('organization_id').notNull(),
    id: text('id').notNull(),
    walletUserId: walletUserId(),
    source: text('source').$type<'purchased' | 'subscription' | 'promotional' | 'transfer'>().notNull(),
    amount: numeric('amount').notNull(),
    remaining: numeric('remaining').notNull(),
    /** null: never expires. */
    expiresAt: at('expires_at'),
    grantedAt: at('granted_at').notNull(),
    priority: integer('priority').notNull().default(0),
    /** The operation that created the lot (grant, allocation or transfer). */
    operationId: text('operation_id').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ columns: [table.organizationId, table.id] }),
    index('credit_lots_wallet_idx').on(table.organizationId, table.walletUserId, table.expiresAt),
    check(
      'credit_lots_remaining_in_range',
      sql`${table.remaining} >= 0 and ${table.remaining} <= ${table.amount}`,
    ),
    check('credit_lots_amount_positive', sql`${table.amount} > 0`),
  ],
);

export const creditEntryKinds = [
  'grant',
  'debit',
  'expiry',
  'transfer_out',
  'transfer_in',
  'refund',
  'adjustment',
] as const;
export type CreditEntryKind = (typeof creditEntryKinds)[number];

/** Every movement of credits, signed (+ in, − out). Never updated or deleted. */
export const creditJournal = pgTable(
  'credit_journal',
  {
    organizationId: text('organization_id').notNull(),
    id: bigint('id', { mode: 'number' }).generatedAlwaysAsIdentity(),
    walletUserId: walletUserId(),
    lotId: text('lot_id').notNull(),
    kind: text('kind').$type<CreditEntryKind>().notNull(),
    amount: numeric('amount').notNull(),
    /** Groups the entries one operation wrote (a consume touching three lots gives three entries). */
    operationId: text('operation_id').notNull(),
    eventName: text('event_name'),
    projectId: text('project_id'),
    /** The user the movement concerns, if any (who consumed, who gave). */
    userId: text('user_id'),
    /** The other side of a transfer: "organization:<id>" or "user:<organization>/<user>". */
    counterparty: text('counterparty'),
    note: text('note'),
    actor: text('actor').notNull(),
    occurredAt: at('occurred_at').notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.organizationId, table.id] }),
    index('credit_journal_wallet_idx').on(table.organizationId, table.walletUserId, table.id),
    index('credit_journal_operation_idx').on(table.organizationId, table.operationId),
  ],
);

/**
 * Idempotency of consumes, grants and transfers: the first answer, kept so a retry gets it back.
 * Refusals (insufficient credits) write nothing, so a retry after a top-up is evaluated afresh.
 */
export const creditOperations = pgTable(
  'credit_operations',
  {
    organizationId: text('organization_id').notNull(),
    kind: text('kind').$type<'consume' | 'grant' | 'transfer' | 'allocation' | 'refund'>().notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    id: text('id').notNull(),
    /** The request as received, so reusing a key for a different request is caught. */
    request: jsonb('request').notNull(),
    response: jsonb('response').notNull(),
    createdAt: at('created_at').notNull(),
  },
  (table) => [primaryKey({ columns: [table.organizationId, table.kind, table.idempotencyKey] })],
);

/** Per-wallet settings and state: the low-balance threshold and whether its alert is armed. */
export const creditWallets = pgTable(
  'credit_wallets',
  {
    organizationId: text('organization_id').notNull(),
    walletUserId: walletUserId(),
    /** null: the catalog's credits.low_balance_threshold. */
    lowBalanceThreshold: numeric('low_balance_threshold'),
    lowBalanceArmed: boolean('low_balance_armed').notNull().default(false),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.organizationId, table.walletUserId] })],
);

/** Executions each user of a public/trial organization has used of their own trial. */
export const userTrials = pgTable(
  'user_trials',
  {
    organizationId: text('organization_id').notNull(),
    userId: text('user_id').notNull(),
    used: numeric('used').notNull().default('0'),
    exhaustedAt: at('exhausted_at'),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.organizationId, table.userId] })],
);

/** Idempotency of trial consumes made through /v1/check. */
export const userTrialUses = pgTable(
  'user_trial_uses',
  {
    organizationId: text('organization_id').notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    userId: text('user_id').notNull(),
    response: jsonb('response').notNull(),
    createdAt: at('created_at').notNull(),
  },
  (table) => [primaryKey({ columns: [table.organizationId, table.idempotencyKey] })],
);
