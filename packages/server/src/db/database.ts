import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type * as schema from './schema/index.js';

export type Schema = typeof schema;

/** What `execute` returns on both drivers: PGlite's results and node-postgres' QueryResult both carry `rows`. */
export interface QueryResultWithRows extends PgQueryResultHKT {
  type: { rows: Record<string, unknown>[] };
}

/** The drizzle database, whichever driver is underneath. Transactions have this type too. */
export type Database = PgDatabase<QueryResultWithRows, Schema>;
