import { type SQL, sql } from 'drizzle-orm';
import type { PreparedQueryConfig } from 'drizzle-orm/pg-core';
import type { PreparedStatement } from './prepared-statement.js';
import type { DbOrTx } from './transaction.js';

/**
 * Runs a fixed statement as a named prepared statement on the connection `db` runs on: inside a
 * transaction, the transaction's own connection. `DatabaseHandle.queryPrepared` cannot serve here,
 * since it takes any connection from the pool. drizzle's session is where that connection lives
 * (node-postgres: the pool client the transaction checked out; PGlite: its transaction), and
 * `prepareQuery` with a name is the same path drizzle's own `.prepare(name)` takes: node-postgres
 * sends `{name, text, values}`, so PostgreSQL parses and plans the text once per connection; PGlite
 * runs it as a plain query. Rows are parsed with drizzle's type parsers and errors wrapped as
 * `tx.execute` does, so callers see the same values and the same errors (retry.ts reads their cause).
 */
export async function queryPreparedIn<Row>(
  db: DbOrTx,
  statement: PreparedStatement,
  params: unknown[],
): Promise<Row[]> {
  const query = db._.session.prepareQuery<PreparedQueryConfig & { execute: { rows: Row[] } }>(
    { sql: statement.text, params },
    undefined,
    statement.name,
    false,
  );
  return (await query.execute()).rows;
}

/**
 * A fixed statement's text (`$1…` parameters) with its values as drizzle SQL, for callers that
 * compose statements with drizzle: the prepared and the composed statement share one text.
 * The texts are ours and hold no `$` but their parameters.
 */
export function fixedStatementSql(text: string, values: readonly unknown[]): SQL {
  const parts = text.split(/\$(\d+)/);
  return sql.join(
    parts.map((part, index) => (index % 2 === 0 ? sql.raw(part) : sql`${values[Number(part) - 1]}`)),
  );
}
