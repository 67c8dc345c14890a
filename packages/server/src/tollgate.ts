import { type Catalog, DEFAULT_EVENT_WINDOW } from '@tollgate/core';
import type { FastifyServerOptions } from 'fastify';
import { createApiKeyLookup } from './auth/api-key-lookup.js';
import { hashSecret, hmac } from './auth/secrets.js';
import { createSessionRevocations } from './auth/session-revocations.js';
import { catalogWithPlanVersions, recordCatalogVersion } from './catalog/record-catalog-version.js';
import {
  type DatabaseHandle,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_STATEMENT_TIMEOUT_MS,
  openDatabase,
} from './db/client.js';
import { runMigrations } from './db/migrate.js';
import { primaryReads, type ReadDatabase, replicaReads } from './db/read-database.js';
import { tenantRoleProblem } from './db/tenant-role.js';
import { buildApp } from './http/build-app.js';
import type { App, AppContext } from './http/context.js';
import type { RateLimitSettings } from './http/rate-limits.js';
import { createMeteringCaches } from './metering/caches.js';
import { createCheckService } from './metering/check/check-service.js';
import { createUpgradeLinks } from './metering/check-answer.js';
import type { DebitCreditsForEvent } from './metering/ingest/credit-events.js';
import { createEventIngestion } from './metering/ingest/event-ingestion.js';
import type { EventIngestion } from './metering/ingest/ingest-queue.js';
import { DEFAULT_UNIQUE_KEYS_REMEMBERED } from './metering/ingest/stored-unique-keys.js';
import { DEFAULT_INGEST_WORKER_NICE } from './metering/ingest/thread-priority.js';
import { backfillUniqueBuckets } from './metering/tables/usage-unique-buckets.js';
import { SyncedStripeIds } from './stripe/catalog/stripe-catalog-ids.js';
import type { StripeGateway } from './stripe/stripe-gateway.js';

export type TollgateOptions = {
  databaseUrl?: string | undefined;
  /** A streaming replica of databaseUrl for reads that may lag (DATABASE_READ_URL; db/read-database.ts). */
  databaseReadUrl?: string | undefined;
  /** How often a replica that stopped answering is tried again (default 2 s). */
  replicaRetryMs?: number;
  /** PGlite's directory; null keeps the embedded database in memory. */
  pgliteDir?: string | null;
  databasePoolSize?: number;
  /** PostgreSQL: how long opening a connection may take (DATABASE_CONNECT_TIMEOUT_MS). */
  databaseConnectTimeoutMs?: number;
  /** PostgreSQL: statement_timeout of every pooled connection (DATABASE_STATEMENT_TIMEOUT_MS). */
  databaseStatementTimeoutMs?: number;
  catalog: Catalog;
  adminKey: string;
  sessionSecret?: string | undefined;
  sessionTtlSeconds?: number;
  publicUrl?: string;
  trialPlanExecutions?: number;
  /** Ingested events may be dated this many days back (default 35). */
  eventMaxAgeDays?: number;
  /** unique_count rows remembered as stored (default 200,000; 0 remembers none); see stored-unique-keys.ts. */
  uniqueKeysRemembered?: number;
  /**
   * The credit ledger's debit for credit events; see metering/credit-events.ts. One given here runs
   * in this thread, and so does ingestion with it.
   */
  debitCreditsForEvent?: DebitCreditsForEvent;
  /**
   * Whether POST /v1/events is ingested in a worker thread (decision 21): by default it is with
   * PostgreSQL and the built-in credit debitor; PGlite's database lives in this thread.
   */
  ingestInWorker?: boolean;
  /** The ingest worker thread's niceness, 0–19 (default 10): checks get the CPU first (decision 22). */
  ingestWorkerNice?: number;
  /** Stripe or a sandbox; without it the billing endpoints answer 503 stripe_not_configured. */
  stripe?: StripeGateway | null;
  logger?: FastifyServerOptions['logger'];
  now?: () => Date;
  /** Per-process request limits (docs/security.md); default DEFAULT_RATE_LIMITS. */
  rateLimits?: RateLimitSettings;
};

export type Tollgate = {
  app: App;
  context: AppContext;
  database: DatabaseHandle;
  close(): Promise<void>;
};

/** The composition root: opens and migrates the database, records the catalog and builds the API. */
export async function createTollgate(options: TollgateOptions): Promise<Tollgate> {
  const database = await openDatabase({
    databaseUrl: options.databaseUrl,
    dataDir: options.pgliteDir ?? null,
    poolSize: options.databasePoolSize ?? 20,
    connectTimeoutMs: options.databaseConnectTimeoutMs,
    statementTimeoutMs: options.databaseStatementTimeoutMs,
  });
  let reads: ReadDatabase | undefined;
  let ingestion: EventIngestion | undefined;
  try {
    await runMigrations(database);
    // Session-token requests run under row-level security when the tenant role is usable; when it is
    // not, the server still starts, says once what is missing, and confines them in code only.
    const rowSecurityProblem = await tenantRoleProblem(database.db);
    const now = options.now ?? (() => new Date());
    await recordCatalogVersion(database.db, options.catalog, now());
    // Subscribers keep the plan definitions of the catalog version they subscribed under.
    const catalog = await catalogWithPlanVersions(database.db, options.catalog);
    await backfillUniqueBuckets(database, catalog, now());
    const trialPlanExecutions = options.trialPlanExecutions ?? 10;
    const apiKeys = await createApiKeyLookup(database);
    const sessionRevocations = await createSessionRevocations(database);
    // Every per-process cache of metering, in one place (docs/metering.md, "What a process remembers").
    const meteringCaches = await createMeteringCaches(database, catalog, {
      uniqueKeysRemembered: options.uniqueKeysRemembered,
    });
    // The context's URL is read when a link is made: main.ts sets it once the server listens.
    const upgradeLinks = createUpgradeLinks(catalog, () => context.publicUrl);
    const checks = createCheckService(database, catalog, meteringCaches, {
      trialPlanExecutions,
      upgradeLinks,
    });
    ingestion = await createEventIngestion(database, meteringCaches, {
      givenCatalog: options.catalog,
      catalog,
      eventWindow: {
        ...DEFAULT_EVENT_WINDOW,
        ...(options.eventMaxAgeDays !== undefined && { maxAgeMs: options.eventMaxAgeDays * 86_400_000 }),
      },
      debitCreditsForEvent: options.debitCreditsForEvent,
      uniqueKeysRemembered: options.uniqueKeysRemembered ?? DEFAULT_UNIQUE_KEYS_REMEMBERED,
      inWorker: options.ingestInWorker,
      workerNice: options.ingestWorkerNice ?? DEFAULT_INGEST_WORKER_NICE,
      databaseUrl: options.databaseUrl,
      connectTimeoutMs: options.databaseConnectTimeoutMs,
      statementTimeoutMs: options.databaseStatementTimeoutMs,
    });
    reads = readDatabaseFor(database, options, () => app);
    const stripeCatalogIds = new SyncedStripeIds({ db: database.db, stripe: options.stripe ?? null });
    await stripeCatalogIds.reload();
    const context: AppContext = {
      db: database.db,
      organizationDatabase: rowSecurityProblem ? undefined : database.organizationDatabases,
      databaseKind: database.kind,
      statementTransaction: database.statementTransaction,
      reads,
      catalog,
      now,
      auth: {
        adminKeyHash: hashSecret(options.adminKey),
        // Derived from the admin key by default, so every process sharing that key accepts the same tokens.
        sessionSecret:
          options.sessionSecret ?? hmac(options.adminKey, 'tollgate organization session tokens'),
        sessionTtlSeconds: options.sessionTtlSeconds ?? 3_600,
        apiKeys,
        sessionRevocations,
      },
      publicUrl: options.publicUrl ?? 'http://localhost:4400',
      trialPlanExecutions,
      stripe: options.stripe ?? null,
      metering: { caches: meteringCaches, checks, ingestion },
      stripeCatalogIds,
    };
    const app = await buildApp(context, { logger: options.logger ?? false, rateLimits: options.rateLimits });
    if (rowSecurityProblem) {
      app.log.warn(`row-level security is off for session-token requests: ${rowSecurityProblem}`);
    }
    return {
      app,
      context,
      database,
      async close() {
        await app.close();
        await ingestion?.close();
        await checks.drain();
        await meteringCaches.close();
        await apiKeys.close();
        await sessionRevocations.close();
        await reads?.close();
        await database.close();
      },
    };
  } catch (error) {
    await ingestion?.close();
    await reads?.close();
    await database.close();
    throw error;
  }
}

/**
 * The reads that may lag: on the replica when DATABASE_READ_URL is set (with the primary's pool
 * limits), else on the primary. A fallback is logged once per outage, through the app's logger.
 */
function readDatabaseFor(
  database: DatabaseHandle,
  options: TollgateOptions,
  app: () => App | undefined,
): ReadDatabase {
  if (!options.databaseReadUrl || database.kind !== 'postgres') return primaryReads(database.db);
  return replicaReads({
    primary: database.db,
    replicaUrl: options.databaseReadUrl,
    limits: {
      max: options.databasePoolSize ?? 20,
      connectionTimeoutMillis: options.databaseConnectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      statement_timeout: options.databaseStatementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
    },
    retryMs: options.replicaRetryMs,
    events: {
      onUnavailable: (error) =>
        app()?.log.warn(
          { err: error },
          'read replica unavailable (DATABASE_READ_URL): reads that may lag go to the primary until it answers',
        ),
      onRecovered: () =>
        app()?.log.warn('read replica answers again (DATABASE_READ_URL): reads that may lag go back to it'),
    },
  });
}
