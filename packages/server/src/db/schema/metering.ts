import { index, integer, jsonb, numeric, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

const instant = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * Raw usage events, kept for history, audit and recomputation. The primary key is the idempotency
 * key: an event id is counted once per organization, forever. Feature is null for credit events.
 * History reads go through (organization_id, feature, timestamp); at hundreds of millions of rows the
 * table can be range-partitioned by timestamp with the id key moved to a small key table (docs).
 */
export const usageEvents = pgTable(
  'usage_events',
  {
    organizationId: text('organization_id').notNull(),
    id: text('id').notNull(),
    event: text('event').notNull(),
    feature: text('feature'),
    projectId: text('project_id'),
    userId: text('user_id'),
    quantity: numeric('quantity').notNull(),
    timestamp: instant('timestamp').notNull(),
    properties: jsonb('properties'),
    receivedAt: instant('received_at').notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.organizationId, table.id] }),
    index('usage_events_feature_time_idx').on(table.organizationId, table.feature, table.timestamp),
  ],
);

/**
 * Live usage per organization × feature × period, and per project. `project_id` is '' on the
 * organization's total, which is the row checks read and consumes update. Features that never
 * reset use one all-time period starting 1970-01-01.
 */
export const usageCounters = pgTable(
  'usage_counters',
  {
    organizationId: text('organization_id').notNull(),
    feature: text('feature').notNull(),
    periodStart: instant('period_start').notNull(),
    projectId: text('project_id').notNull().default(''),
    periodEnd: instant('period_end').notNull(),
    aggregation: text('aggregation').notNull(),
    used: numeric('used').notNull().default('0'),
    lastEventAt: instant('last_event_at'),
    updatedAt: instant('updated_at').notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.organizationId, table.feature, table.periodStart, table.projectId] }),
  ],
);

/**
 * Usage per organization × feature × UTC hour, folded from the usage events as they are stored, so
 * history reads cost one row per bucket instead of one per event. `aggregation` is the rule the row
 * was folded with (sum and count add, max keeps the greatest, latest the newest `last_event_at`).
 * unique_count features have no rows: distinct values do not add across hours.
 */
export const usageRollups = pgTable(
  'usage_rollups',
  {
    organizationId: text('organization_id').notNull(),
    feature: text('feature').notNull(),
    hour: instant('hour').notNull(),
    aggregation: text('aggregation').notNull(),
    value: numeric('value').notNull(),
    lastEventAt: instant('last_event_at'),
  },
  (table) => [primaryKey({ columns: [table.organizationId, table.feature, table.hour] })],
);

/** Distinct values already counted by unique_count features, per counter. */
export const usageUniqueValues = pgTable(
  'usage_unique_values',
  {
    organizationId: text('organization_id').notNull(),
    feature: text('feature').notNull(),
    periodStart: instant('period_start').notNull(),
    projectId: text('project_id').notNull().default(''),
    value: text('value').notNull(),
  },
  (table) => [
    primaryKey({
      columns: [table.organizationId, table.feature, table.periodStart, table.projectId, table.value],
    }),
  ],
);

/**
 * The distinct values of unique_count features per organization, feature and UTC hour and day
 * (migration 0007), which history reads count instead of raw events: distinct values do not add
 * across buckets. `granularity` is 'hour' or 'day'.
 */
export const usageUniqueBuckets = pgTable(
  'usage_unique_buckets',
  {
    organizationId: text('organization_id').notNull(),
    feature: text('feature').notNull(),
    granularity: text('granularity').notNull(),
    bucket: instant('bucket').notNull(),
    value: text('value').notNull(),
  },
  (table) => [
    primaryKey({
      columns: [table.organizationId, table.feature, table.granularity, table.bucket, table.value],
    }),
  ],
);

/** The unique_count features whose buckets were filled in from the events stored before they existed. */
export const usageUniqueBackfills = pgTable(
  'usage_unique_backfills',
  {
    feature: text('feature').notNull(),
    uniqueProperty: text('unique_property').notNull(),
    completedAt: instant('completed_at').notNull(),
  },
  (table) => [primaryKey({ columns: [table.feature, table.uniqueProperty] })],
);

/** The first answer to a consuming check, returned again for a repeated idempotency key. */
export const usageConsumptions = pgTable(
  'usage_consumptions',
  {
    organizationId: text('organization_id').notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    feature: text('feature').notNull(),
    quantity: numeric('quantity').notNull(),
    response: jsonb('response'),
    createdAt: instant('created_at').notNull(),
  },
  (table) => [primaryKey({ columns: [table.organizationId, table.idempotencyKey] })],
);

/** Usage alerts: each threshold fires once per organization, feature and period (the primary key). */
export const usageAlerts = pgTable(
  'usage_alerts',
  {
    organizationId: text('organization_id').notNull(),
    feature: text('feature').notNull(),
    periodStart: instant('period_start').notNull(),
    threshold: integer('threshold').notNull(),
    periodEnd: instant('period_end').notNull(),
    used: numeric('used').notNull(),
    limit: numeric('limit').notNull(),
    createdAt: instant('created_at').notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.organizationId, table.feature, table.periodStart, table.threshold] }),
    index('usage_alerts_created_idx').on(table.organizationId, table.createdAt),
  ],
);
