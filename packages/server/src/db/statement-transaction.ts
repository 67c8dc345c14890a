import { NodePgSession, NodePgTransaction } from 'drizzle-orm/node-postgres';
import { PgTransaction } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import type { Database } from './database.js';
import { queryPreparedIn } from './fixed-statements.js';
import { nodePgSessionParts } from './pooled-transaction.js';
import type { PreparedStatement } from './prepared-statement.js';
import { type DbOrTx, withTransaction } from './transaction.js';

/**
 * A transaction made of fixed statements only (`PreparedStatement`: one text, `$n` parameters,
 * string or null values). Hot paths that run one short transaction per batch use it: on PostgreSQL
 * it costs two round trips where drizzle's transaction costs four, and none of drizzle's
 * per-transaction set-up (measured in docs/performance.md).
 */
export type StatementSession = {
  run<Row>(statement: PreparedStatement, params: readonly (string | null)[]): Promise<Row[]>;
  /**
   * Runs the transaction's last statement and commits with it. Nothing may run after it; where the
   * transaction joined an outer one, the outer transaction commits later as usual.
   */
  runAndCommit<Row>(statement: PreparedStatement, params: readonly (string | null)[]): Promise<Row[]>;
  /**
   * The same transaction as a drizzle transaction, for work that is not made of fixed statements:
   * its BEGIN has travelled with the first `run`, which must come first. Commits with the session.
   */
  asTransaction(): DbOrTx;
};

/** Runs `work` in a transaction of its own; PostgreSQL's `statementTransaction` in client.ts. */
export type StatementTransactionRunner = <T>(work: (session: StatementSession) => Promise<T>) => Promise<T>;

/**
 * Runs `work` as one transaction of fixed statements: inside `db` when it is already a transaction
 * (so services still compose), with `runner` when one is given (PostgreSQL), else as a drizzle
 * transaction (PGlite, where a round trip is a function call).
 */
export function withStatementTransaction<T>(
  db: DbOrTx,
  runner: StatementTransactionRunner | undefined,
  work: (session: StatementSession) => Promise<T>,
): Promise<T> {
  if (runner && !(db instanceof PgTransaction)) return runner(work);
  return withTransaction(db, (tx) => {
    const run = <Row>(statement: PreparedStatement, params: readonly (string | null)[]) =>
      queryPreparedIn<Row>(tx, statement, [...params]);
    return work({ run, runAndCommit: run, asTransaction: () => tx });
  });
}

/**
 * A write whose answer nobody reads. In a transaction a statement session lent to drizzle
 * (`asTransaction` on PostgreSQL) it is sent with the transaction's next statement or its COMMIT,
 * one round trip fewer; a failure then surfaces there and fails the transaction all the same.
 * Anywhere else it runs at once.
 */
export async function writeLater(
  tx: DbOrTx,
  statement: PreparedStatement,
  params: readonly (string | null)[],
): Promise<void> {
  const lender = lenders.get(tx);
  if (lender) await lender(statement, params);
  else await queryPreparedIn(tx, statement, [...params]);
}

const lenders = new WeakMap<
  DbOrTx,
  (statement: PreparedStatement, params: readonly (string | null)[]) => Promise<void>
>();

/**
 * PostgreSQL's runner over a pool. The transaction's BEGIN travels with its first statement and its
 * COMMIT with its last, as one simple-protocol query each (`BEGIN; EXECUTE …`), so a lock-then-write
 * transaction is two round trips, and a transaction of one statement is that statement alone. A
 * simple query takes no parameters, so each statement is prepared once per connection (SQL PREPARE:
 * planned like any prepared statement) and executed with its values as quoted literals
 * (`quoteLiteral`). Writes queued by `writeLater` travel the same way, ahead of the next statement.
 */
export function poolStatementTransactions(pool: pg.Pool, db: Database): StatementTransactionRunner {
  const preparedOn = new WeakMap<pg.PoolClient, Set<string>>();
  // What a drizzle transaction gets: the pool session's dialect, schema and options, over the one
  // client this transaction holds.
  const { dialect, schema, options } = nodePgSessionParts(db);
  return async (work) => {
    const client = await pool.connect();
    let prepared = preparedOn.get(client);
    if (!prepared) {
      prepared = new Set();
      preparedOn.set(client, prepared);
    }
    let begun = false;
    let committed = false;
    let broken: unknown;
    /** `EXECUTE` texts of writes whose answers nobody reads, sent ahead of the next query. */
    let queued: string[] = [];
    /** `EXECUTE` of `statement`, prepared on this connection first if it is not yet; `literals` are quoted. */
    const executeTextOf = async (statement: PreparedStatement, literals: readonly string[]) => {
      // Named apart from the protocol-level statements node-postgres prepares by itself (queryPreparedIn),
      // which share this namespace. PREPARE is not undone by a rollback, so it may run at any point.
      const name = `${statement.name}_sql`;
      if (!prepared.has(name)) {
        await client.query(`prepare ${name} as ${statement.text}`);
        prepared.add(name);
      }
      return `execute ${name}${literals.length > 0 ? `(${literals.join(', ')})` : ''}`;
    };
    const quoted = (params: readonly (string | null)[]) =>
      params.map((value) => (value === null ? 'null' : quoteLiteral(value)));
    /** Sends `texts` after BEGIN (if not yet sent) and the queued writes, as one query; the rows of `texts[at]`. */
    const send = async (texts: string[], at: number): Promise<pg.QueryResult | undefined> => {
      const parts = [...(begun ? [] : ['begin']), ...queued, ...texts];
      const offset = parts.length - texts.length;
      begun = true;
      queued = [];
      const results = (await client.query(parts.join('; '))) as pg.QueryResult | pg.QueryResult[];
      return Array.isArray(results) ? results[offset + at] : results;
    };
    const execute = async <Row>(
      statement: PreparedStatement,
      params: readonly (string | null)[],
      commit: boolean,
    ): Promise<Row[]> => {
      if (committed) throw new Error(`${statement.name} after the transaction committed`);
      const executeText = await executeTextOf(statement, quoted(params));
      if (!begun && commit) {
        // A transaction of one statement: a lone statement is its own transaction, committed when it
        // succeeds and rolled back when it fails, so it needs no BEGIN, COMMIT or ROLLBACK.
        const result = (await client.query(executeText)) as pg.QueryResult;
        committed = true;
        return (result.rows ?? []) as Row[];
      }
      const result = await send(commit ? [executeText, 'commit'] : [executeText], 0);
      committed = commit;
      return (result?.rows ?? []) as Row[];
    };
    // drizzle's queries on the lent transaction carry the queued writes too: with none queued they
    // go out as drizzle sends them; otherwise their values are written into the text as literals, and
    // a named (fixed) statement is executed as prepared on this connection.
    const lentClient = {
      async query(config: pg.QueryConfig & { rowMode?: 'array' }, values?: unknown[]) {
        const literals = queued.length > 0 ? literalsOf(values ?? config.values ?? []) : undefined;
        if (!literals) {
          if (queued.length > 0) await send([], 0);
          return client.query(config, values);
        }
        const text = config.name
          ? await executeTextOf({ name: config.name, text: config.text }, literals)
          : config.text.replace(/\$(\d+)/g, (_match, index: string) => {
              const literal = literals[Number(index) - 1];
              if (literal === undefined)
                throw new Error(`no value for $${index} in a query of the lent transaction`);
              return literal;
            });
        const parts = [...queued, text];
        queued = [];
        const results = (await client.query({
          text: parts.join('; '),
          rowMode: config.rowMode,
          types: config.types,
        } as pg.QueryConfig)) as pg.QueryResult | pg.QueryResult[];
        return Array.isArray(results) ? results[results.length - 1] : results;
      },
    };
    let transaction: DbOrTx | undefined;
    try {
      const result = await work({
        run: (statement, params) => execute(statement, params, false),
        runAndCommit: (statement, params) => execute(statement, params, true),
        asTransaction() {
          if (!begun || committed)
            throw new Error('asTransaction() needs an open transaction: run a statement first');
          if (!transaction) {
            const session = new NodePgSession(
              lentClient as unknown as pg.PoolClient,
              dialect,
              schema,
              options,
            );
            const lent = new NodePgTransaction(dialect, session, schema) as unknown as DbOrTx;
            lenders.set(lent, async (statement, params) => {
              if (committed) throw new Error(`${statement.name} after the transaction committed`);
              queued.push(await executeTextOf(statement, quoted(params)));
            });
            transaction = lent;
          }
          return transaction;
        },
      });
      if (begun && !committed) await send(['commit'], 0);
      committed = true;
      return result;
    } catch (error) {
      // After a failed statement the block is open and aborted (a failed COMMIT has ended it, and
      // ROLLBACK then only warns), so it is rolled back before the connection goes back to the pool.
      queued = [];
      if (begun && !committed) {
        await client.query('rollback').catch((rollbackError: unknown) => {
          broken = rollbackError;
        });
      }
      throw error;
    } finally {
      // A connection whose state is unknown (its rollback failed) is closed, not handed out again.
      client.release(broken instanceof Error ? broken : undefined);
    }
  };
}

/**
 * drizzle's parameter values as SQL literals, for a query sent with the simple protocol; undefined
 * when one is of a kind not written here (arrays, binary), which then go out as drizzle sends them.
 */
function literalsOf(values: readonly unknown[]): string[] | undefined {
  const literals: string[] = [];
  for (const value of values) {
    if (value === null || value === undefined) literals.push('null');
    else if (typeof value === 'string') literals.push(quoteLiteral(value));
    else if (typeof value === 'number' || typeof value === 'bigint')
      literals.push(quoteLiteral(String(value)));
    else if (typeof value === 'boolean') literals.push(value ? 'true' : 'false');
    else if (value instanceof Date) literals.push(quoteLiteral(value.toISOString()));
    else return undefined;
  }
  return literals;
}

/**
 * A string as an escape-string literal (E'…', quotes and backslashes doubled), which means the same
 * whatever standard_conforming_strings says. pg.escapeLiteral builds the same text one character at a
 * time: 49 µs for a 2.5 KB batch of counter rows here, against 6 µs with one replace.
 */
export function quoteLiteral(value: string): string {
  return `E'${value.replace(/['\\]/g, '$&$&')}'`;
}
