import type { Catalog } from '@tollgate/core';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiKeyLookup } from '../auth/api-key-lookup.js';
import type { SessionRevocations } from '../auth/session-revocations.js';
import type { Database } from '../db/client.js';
import type { ReadDatabase } from '../db/read-database.js';
import type { StatementTransactionRunner } from '../db/statement-transaction.js';
import type { MeteringCaches } from '../metering/caches.js';
import type { CheckService } from '../metering/check/check-service.js';
import type { EventIngestion } from '../metering/ingest/ingest-queue.js';
import type { SyncedStripeIds } from '../stripe/catalog/stripe-catalog-ids.js';
import type { StripeGateway } from '../stripe/stripe-gateway.js';

/** Everything a route handler may use, chosen once in the composition root. */
export type AppContext = {
  /** The database as the host app sees it: every organization (the DATABASE_URL role). */
  db: Database;
  /**
   * One organization's view under row-level security (db/organization-database.ts), for requests
   * authenticated by its session token; undefined while the tenant role is unusable (decision 19).
   * Routes reach it through http/request-database.ts.
   */
  organizationDatabase: ((organizationId: string) => Database) | undefined;
  databaseKind: 'pglite' | 'postgres';
  /** Transactions whose BEGIN travels with their first statement (PostgreSQL; undefined on PGlite). */
  statementTransaction: StatementTransactionRunner | undefined;
  /**
   * Reads that may lag (usage history, invoice and audit lists, the operator's lists): on the replica
   * of DATABASE_READ_URL when there is one, else on `db`. Never for what decides money or limits.
   */
  reads: ReadDatabase;
  catalog: Catalog;
  /** The clock; tests and Stripe test clocks replace it. */
  now: () => Date;
  auth: {
    /** SHA-256 of TOLLGATE_ADMIN_KEY. */
    adminKeyHash: string;
    sessionSecret: string;
    sessionTtlSeconds: number;
    /** Live secret keys by hash (remembered while revocations are heard; see api-key-lookup.ts). */
    apiKeys: ApiKeyLookup;
    /** Each organization's session generation, remembered while revocations are heard. */
    sessionRevocations: SessionRevocations;
  };
  publicUrl: string;
  trialPlanExecutions: number;
  /** Stripe (or a sandbox); null when billing is not configured, as in tests that need no payments. */
  stripe: StripeGateway | null;
  metering: {
    /** What metering remembers in this process (metering/caches.ts). */
    caches: MeteringCaches;
    /** POST /v1/check, batching concurrent checks on the shared database handle. */
    checks: CheckService;
    /** POST /v1/events, in this thread or a worker (metering/ingest/event-ingestion.ts). */
    ingestion: EventIngestion;
  };
  /** The Stripe ids of the last catalog sync, in memory for GET /v1/plans. */
  stripeCatalogIds: SyncedStripeIds;
};

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

export type RouteAuth = 'public' | 'secret_key' | 'organization' | 'any_caller';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Who may call the route. `secret_key` (the default): host-app keys only. `organization`: also an
     * organization session token, for the organization named by the `organizationId` path parameter.
     * `any_caller`: a secret key or any organization's session, for routes that serve no
     * organization's data (the plan catalog).
     */
    auth?: RouteAuth;
    /** A per-organization limit on this route (http/rate-limits.ts), for whatever key calls it. */
    limit?: 'billing_sessions';
  }
}
