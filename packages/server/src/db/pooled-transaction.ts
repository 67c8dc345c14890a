import { NodePgSession, NodePgTransaction } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import type { Database } from './database.js';

type SessionParts = {
  dialect: ConstructorParameters<typeof NodePgSession>[1];
  schema: ConstructorParameters<typeof NodePgSession>[2];
  options: ConstructorParameters<typeof NodePgSession>[3];
};

/** What a node-postgres drizzle database hands each transaction: its dialect, schema and options. */
export function nodePgSessionParts(db: Database): SessionParts {
  const { dialect, schema, options } = db._.session as unknown as SessionParts;
  return { dialect, schema, options };
}

type PooledSession = SessionParts & { pool: pg.Pool };

const pooledSessions = new WeakMap<Database, PooledSession | null>();

/**
 * The pool under a node-postgres drizzle database (an organization's scoped pool included), with
 * what its transactions need; null for PGlite.
 */
export function pooledSessionOf(db: Database): PooledSession | null {
  let pooled = pooledSessions.get(db);
  if (pooled === undefined) {
    const session: unknown = db._.session;
    const client =
      session instanceof NodePgSession ? (session as unknown as { client: unknown }).client : null;
    pooled = client instanceof pg.Pool ? { ...nodePgSessionParts(db), pool: client } : null;
    pooledSessions.set(db, pooled);
  }
  return pooled;
}

const asError = (value: unknown) => (value instanceof Error ? value : new Error(String(value)));

/**
 * A drizzle transaction on a connection of the pool, which always goes back to the pool, and is
 * closed rather than handed out again when its state is unknown. drizzle's own pool transaction sends
 * BEGIN before its `try`: on a connection that died while idle (PostgreSQL restarted, and the pool
 * had not noticed yet) BEGIN failed and the connection was never released, so each restart could
 * take a slot of the pool for good, and closing the pool waited forever (decision 26).
 */
export async function pooledTransaction<T>(
  pooled: PooledSession,
  work: (tx: Database) => Promise<T>,
): Promise<T> {
  const client = await pooled.pool.connect();
  let unusable: Error | undefined;
  try {
    const session = new NodePgSession(client, pooled.dialect, pooled.schema, pooled.options);
    const tx = new NodePgTransaction(pooled.dialect, session, pooled.schema) as unknown as Database;
    try {
      await client.query('begin');
    } catch (error) {
      unusable = asError(error);
      throw error;
    }
    try {
      const result = await work(tx);
      await client.query('commit');
      return result;
    } catch (error) {
      // After a failed COMMIT the block has ended, and ROLLBACK only warns; a ROLLBACK that fails
      // leaves the connection in a state nobody knows.
      await client.query('rollback').catch((rollbackError: unknown) => {
        unusable = asError(rollbackError);
      });
      throw error;
    }
  } finally {
    client.release(unusable);
  }
}
