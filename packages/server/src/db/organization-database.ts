import { drizzle as drizzleNodePostgres } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import type { Database } from './database.js';
import * as schema from './schema/index.js';
import { TENANT_ROLE } from './tenant-role.js';

/** The database as one organization sees it under row-level security (decision 17). */
export type OrganizationDatabases = (organizationId: string) => Database;

const MAX_REMEMBERED = 10_000;

/**
 * Each organization's view of the pool: a drizzle database whose every connection, for as long as
 * it is checked out (one statement, or one drizzle transaction), runs as the tenant role with
 * `tollgate.organization_id` set to the organization, and is set back before it returns to the pool.
 * A connection whose reset failed is closed, never handed to another request. Statements and
 * transactions keep their meaning (autocommit stays autocommit): a checked-out connection costs one
 * round trip to set and one to reset, paid by organization pages only. Built once per organization
 * (drizzle's set-up is not free) and remembered, like session generations, up to a bound.
 */
export function organizationDatabases(pool: pg.Pool): OrganizationDatabases {
  const databases = new Map<string, Database>();
  return (organizationId) => {
    let database = databases.get(organizationId);
    if (!database) {
      if (databases.size >= MAX_REMEMBERED) databases.clear();
      database = drizzleNodePostgres(organizationPool(pool, organizationId), {
        schema,
      }) as unknown as Database;
      databases.set(organizationId, database);
    }
    return database;
  };
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
