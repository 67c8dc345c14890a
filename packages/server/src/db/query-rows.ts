import { type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/transaction.js';

/**
 * Runs raw SQL and returns its rows. Both drivers (node-postgres and PGlite) answer with `{rows}`;
 * the shared Database type cannot say so, hence the one cast here.
 */
export async function queryRows<Row>(db: DbOrTx, query: SQL): Promise<Row[]> {
  const result = (await db.execute(query)) as unknown as { rows: Row[] };
  return result.rows;
}

/**
 * Runs `query` with `thenWrite` riding in the same round trip as an unreferenced CTE, which
 * PostgreSQL runs after the main statement; runs `thenWrite` alone when there is no query.
 */
export async function queryRowsThenWrite<Row>(
  db: DbOrTx,
  query: SQL | undefined,
  thenWrite: SQL | undefined,
): Promise<Row[]> {
  if (!query) {
    if (thenWrite) await db.execute(thenWrite);
    return [];
  }
  return queryRows<Row>(db, thenWrite ? sql`with then_write as (${thenWrite}) ${query}` : query);
}

/** `(v1, v2, …)` as parameters, for `column in ${sqlValueList(values)}`; `values` must not be empty. */
export function sqlValueList(values: readonly string[]): SQL {
  return sql`(${sql.join(
    values.map((value) => sql`${value}`),
    sql`, `,
  )})`;
}
