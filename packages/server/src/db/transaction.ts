import { PgTransaction } from 'drizzle-orm/pg-core';
import type { Database } from './database.js';
import { pooledSessionOf, pooledTransaction } from './pooled-transaction.js';

/** A database or an open transaction: services take this so they compose inside one transaction. */
export type DbOrTx = Database;

/** Whether `dbOrTx` is an open transaction: what is written through it is committed only by its owner. */
export const isTransaction = (dbOrTx: DbOrTx) => dbOrTx instanceof PgTransaction;

/** Runs `work` in a transaction, joining the caller's transaction when one is passed in. */
export async function withTransaction<T>(dbOrTx: DbOrTx, work: (tx: DbOrTx) => Promise<T>): Promise<T> {
  if (isTransaction(dbOrTx)) return work(dbOrTx as unknown as DbOrTx);
  const pooled = pooledSessionOf(dbOrTx);
  if (pooled) return pooledTransaction(pooled, work);
  return dbOrTx.transaction((tx) => work(tx as unknown as DbOrTx));
}
