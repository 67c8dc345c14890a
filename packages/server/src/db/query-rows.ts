import type { SQL } from 'drizzle-orm';
import type { DbOrTx } from '../db/transaction.js';

/**
 * Runs raw SQL and returns its rows. Both drivers (node-postgres and PGlite) answer with `{rows}`;
 * the shared Database type cannot say so, hence the one cast here.
 */
export async function queryRows<Row>(db: DbOrTx, query: SQL): Promise<Row[]> {
  const result = (await db.execute(query)) as unknown as { rows: Row[] };
  return result.rows;
}
