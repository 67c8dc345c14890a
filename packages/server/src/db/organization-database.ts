import type { PGlite, Transaction } from '@electric-sql/pglite';
import { drizzle as drizzleNodePostgres } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import type pg from 'pg';
import type { Database } from './database.js';
import * as schema from './schema/index.js';
import { TENANT_ROLE } from './tenant-role.js';

/** The database as one organization sees it under row-level security (decision 19). */
export type OrganizationDatabases = (organizationId: string) => Database;

const MAX_REMEMBERED = 10_000;

/** Remembers each organization's database: drizzle's set-up is not free. */
function rememberedPerOrganization(open: (organizationId: string) => Database): OrganizationDatabases {
  const databases = new Map<string, Database>();
  return (organizationId) => {
    let database = databases.get(organizationId);
    if (!database) {
      if (databases.size >= MAX_REMEMBERED) databases.clear();
      database = open(organizationId);
      databases.set(organizationId, database);
    }
    return database;
  };
}

/**
 * PostgreSQL: each organization's view of the pool, a drizzle database whose every connection, for as
 * long as it is checked out (one statement, or one drizzle transaction), runs as the tenant role with
 * `tollgate.organization_id` set to the organization, and is set back before it returns to the pool.
 * A connection whose reset failed is closed, never handed to another request. Statements and
 * transactions keep their meaning (autocommit stays autocommit): a checked-out connection costs one
 * round trip to set and one to reset, paid by organization pages only.
 */
export function postgresOrganizationDatabases(pool: pg.Pool): OrganizationDatabases {
  return rememberedPerOrganization(
    (organizationId) =>
      drizzleNodePostgres(organizationPool(pool, organizationId), { schema }) as unknown as Database,
  );
}

/**
 * PGlite: one connection shared by every request, so nothing may stay set on it between statements.
 * Each statement on its own runs in a transaction of its own, and each transaction sets the role and
 * the organization for itself only (`set_config(…, true)`); PGlite runs one transaction at a time, so
 * no other request's statement runs inside it.
 */
export function pgliteOrganizationDatabases(client: PGlite): OrganizationDatabases {
  return rememberedPerOrganization((organizationId) => {
    const enter = (tx: Transaction) =>
      tx.query(
        `select set_config('role', '${TENANT_ROLE}', true), set_config('tollgate.organization_id', $1, true)`,
        [organizationId],
      );
    const scoped = Object.create(client) as PGlite;
    Object.assign(scoped, {
      query: (...args: Parameters<PGlite['query']>) =>
        client.transaction(async (tx) => {
          await enter(tx);
          return tx.query(...args);
        }),
      transaction: <T>(work: (tx: Transaction) => Promise<T>) =>
        client.transaction(async (tx) => {
          await enter(tx);
          return work(tx);
        }),
    });
    return drizzlePglite(scoped, { schema }) as unknown as Database;
  });
}

type Query = pg.PoolClient['query'];

/**
 * The pool as drizzle uses it: `connect()` for a transaction, `query()` for a statement on its own.
 * It inherits from the pool (drizzle recognises a pool by its prototype) and overrides only those two.
 */
function organizationPool(pool: pg.Pool, organizationId: string): pg.Pool {
  const scoped = Object.create(pool) as pg.Pool;
  const connect = async () => {
    const client = await pool.connect();
    try {
      await client.query(
        `select set_config('role', '${TENANT_ROLE}', false), set_config('tollgate.organization_id', $1, false)`,
        [organizationId],
      );
    } catch (error) {
      client.release(error instanceof Error ? error : true);
      throw error;
    }
    let released = false;
    return {
      query: client.query.bind(client) as Query,
      release(error?: Error | boolean) {
        if (released) return;
        released = true;
        if (error) return client.release(error);
        client.query('reset role; reset tollgate.organization_id').then(
          () => client.release(),
          (resetError: unknown) => client.release(resetError instanceof Error ? resetError : true),
        );
      },
    };
  };
  Object.assign(scoped, {
    connect,
    async query(...args: Parameters<Query>) {
      const client = await connect();
      try {
        return await (client.query as (...queryArgs: unknown[]) => Promise<unknown>)(...args);
      } finally {
        client.release();
      }
    },
  });
  return scoped;
}
