import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzleNodePostgres } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import type { Database } from './database.js';
import { listenOnPostgres, type NotificationHandlers } from './notifications.js';
import {
  type OrganizationDatabases,
  pgliteOrganizationDatabases,
  postgresOrganizationDatabases,
} from './organization-database.js';
import type { PreparedStatement } from './prepared-statement.js';
import * as schema from './schema/index.js';
import { poolStatementTransactions, type StatementTransactionRunner } from './statement-transaction.js';

export type { Database, QueryResultWithRows, Schema } from './database.js';
export type { PreparedStatement } from './prepared-statement.js';

export type DatabaseHandle = {
  db: Database;
  kind: 'pglite' | 'postgres';
  /** Runs `work` holding a session-level advisory lock on one connection, for migrations. */
  withAdvisoryLock<T>(lockKey: number, work: (db: Database) => Promise<T>): Promise<T>;
  /**
   * Runs `work` only if no other session holds the advisory lock, so periodic jobs run in one
   * process at a time; resolves `{ ran: false }` when another process has it.
   */
  tryWithAdvisoryLock<T>(
    lockKey: number,
    work: (db: Database) => Promise<T>,
  ): Promise<{ ran: true; result: T } | { ran: false }>;
  /**
   * Subscribes to NOTIFY on `channel` from every process using the database. `onReady` runs once
   * listening (again after each reconnection); `onLost` when notifications may have been missed,
   * i.e. the listening connection failed (it reconnects by itself). Resolves to an unsubscribe.
   */
  listen(channel: string, handlers: NotificationHandlers): Promise<() => Promise<void>>;
  /**
   * Runs a fixed statement as a named prepared statement on PostgreSQL (parsed and planned once
   * per connection, not on every call), outside any transaction; on PGlite as a plain query.
   */
  queryPrepared<Row>(statement: PreparedStatement, params: unknown[]): Promise<Row[]>;
  /**
   * Transactions of fixed statements in two round trips (statement-transaction.ts), on PostgreSQL;
   * undefined on PGlite, whose callers use a drizzle transaction.
   */
  statementTransaction: StatementTransactionRunner | undefined;
  /**
   * Each organization's view of the database under row-level security (organization-database.ts).
   * Usable once `tenantRoleProblem` (tenant-role.ts) finds no problem.
   */
  organizationDatabases: OrganizationDatabases;
  close(): Promise<void>;
};

export type DatabaseOptions = {
  /** A postgres:// URL; when absent the embedded PGlite database is used. */
  databaseUrl?: string | undefined;
  /** PGlite's directory; `null` keeps it in memory (tests). */
  dataDir?: string | null;
  poolSize?: number;
  /** PostgreSQL only: how long opening a connection may take (default 5 s). */
  connectTimeoutMs?: number;
  /** PostgreSQL only: statement_timeout of every pooled connection (default 15 s; 0: none). */
  statementTimeoutMs?: number;
};

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_STATEMENT_TIMEOUT_MS = 15_000;

export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  return options.databaseUrl
    ? openPostgres(options.databaseUrl, {
        max: options.poolSize ?? 20,
        connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
        statement_timeout: options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
      })
    : openPglite(options.dataDir);
}

async function openPglite(dataDir: string | null | undefined): Promise<DatabaseHandle> {
  let client: PGlite;
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    client = await PGlite.create(`${dataDir}/pglite`);
  } else {
    client = await PGlite.create();
  }
  const db = drizzlePglite(client, { schema }) as unknown as Database;
  return {
    db,
    kind: 'pglite',
    // One connection, one process: PGlite serialises everything, so the lock is implicit.
    withAdvisoryLock: (_lockKey, work) => work(db),
    tryWithAdvisoryLock: async (_lockKey, work) => ({ ran: true, result: await work(db) }),
    async queryPrepared<Row>(statement: PreparedStatement, params: unknown[]) {
      return (await client.query<Row>(statement.text, params)).rows;
    },
    statementTransaction: undefined,
    organizationDatabases: pgliteOrganizationDatabases(client),
    async listen(channel, handlers) {
      const unlisten = await client.listen(channel, handlers.onMessage);
      handlers.onReady();
      return () => unlisten();
    },
    close: () => client.close(),
  };
}

export type PoolLimits = Pick<pg.PoolConfig, 'max' | 'connectionTimeoutMillis' | 'statement_timeout'>;

/** A node-postgres pool that survives failed connections, and a close that waits for every connection. */
function createPool(config: pg.PoolConfig) {
  // keepAlive: a database host that vanished without closing its sockets is noticed, not waited on.
  const pool = new pg.Pool({ keepAlive: true, ...config });
  // An idle connection that fails (a server restart, a killed backend) is dropped by the pool, which
  // opens a new one when needed; queries in flight get their own errors (503 database_unavailable,
  // db/database-faults.ts), and a connection that failed is not handed out again. Unhandled, the
  // pool's 'error' event would end the process.
  pool.on('error', () => {});
  // pool.end() resolves once it has asked its connections to close, not once they have: count them,
  // so that closing waits until none is left (a database dropped right after must not find one).
  let openConnections = 0;
  let lastClosed: (() => void) | undefined;
  pool.on('connect', (connection) => {
    openConnections += 1;
    // The pool listens for errors only on idle connections. One checked out (a transaction, a lock
    // holder) whose backend dies without a word (PostgreSQL's crash restart after a PANIC, e.g. a
    // full pg_wal) emits 'error' with nobody listening, which ended the process. Its queries still
    // fail with their own error, and the pool drops it on release as no longer queryable.
    connection.on('error', () => {});
  });
  pool.on('remove', () => {
    openConnections -= 1;
    if (openConnections === 0) lastClosed?.();
  });
  return {
    pool,
    async close() {
      const allClosed =
        openConnections === 0 ? Promise.resolve() : new Promise<void>((resolve) => (lastClosed = resolve));
      await pool.end();
      await allClosed;
    },
  };
}

/**
 * A pool on a streaming replica, for reads that may lag (db/read-database.ts). Unlike the primary's,
 * it need not answer at start: while the replica is down, those reads go to the primary.
 */
export function openReplicaPool(
  databaseUrl: string,
  limits: PoolLimits,
): { db: Database; pool: pg.Pool; close(): Promise<void> } {
  const { pool, close } = createPool({
    connectionString: databaseUrl,
    // Named, so that an operator (and the scale-out test) sees in pg_stat_activity who reads there.
    application_name: 'tollgate-read',
    ...limits,
  });
  return { db: drizzleNodePostgres(pool, { schema }) as unknown as Database, pool, close };
}

async function openPostgres(databaseUrl: string, limits: PoolLimits): Promise<DatabaseHandle> {
  const { pool, close } = createPool({ connectionString: databaseUrl, ...limits });
  // Fail at start, not on the first request, when the database is unreachable.
  const probe = await pool.connect();
  probe.release();
  const db = drizzleNodePostgres(pool, { schema }) as unknown as Database;
  return {
    db,
    kind: 'postgres',
    async withAdvisoryLock(lockKey, work) {
      const connection = await pool.connect();
      try {
        // Migrations wait for another process's migrations and may rewrite big tables: no statement timeout.
        await connection.query('set statement_timeout = 0');
        await connection.query('select pg_advisory_lock($1)', [lockKey]);
        try {
          return await work(drizzleNodePostgres(connection, { schema }) as unknown as Database);
        } finally {
          await connection.query('select pg_advisory_unlock($1)', [lockKey]);
          await connection.query('reset statement_timeout');
        }
      } finally {
        connection.release();
      }
    },
    async tryWithAdvisoryLock(lockKey, work) {
      const connection = await pool.connect();
      try {
        const { rows } = await connection.query<{ locked: boolean }>(
          'select pg_try_advisory_lock($1) as locked',
          [lockKey],
        );
        if (!rows[0]?.locked) return { ran: false };
        try {
          // The work uses the pool, so it may run its own transactions; this connection only holds the lock.
          return { ran: true, result: await work(db) };
        } finally {
          await connection.query('select pg_advisory_unlock($1)', [lockKey]);
        }
      } finally {
        connection.release();
      }
    },
    listen: (channel, handlers) => listenOnPostgres(databaseUrl, channel, handlers),
    async queryPrepared<Row>(statement: PreparedStatement, params: unknown[]) {
      const result = await pool.query({ name: statement.name, text: statement.text, values: params });
      return result.rows as Row[];
    },
    statementTransaction: poolStatementTransactions(pool, db),
    organizationDatabases: postgresOrganizationDatabases(pool),
    close,
  };
}
