import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import type { PreparedStatement } from '../src/db/client.js';
import { queryRows } from '../src/db/query-rows.js';
import { sqlStateOf } from '../src/db/retry.js';
import { withStatementTransaction, writeLater } from '../src/db/statement-transaction.js';
import { withTransaction } from '../src/db/transaction.js';
import { describeEachDatabase } from './support/harness.js';

const INSERT: PreparedStatement = {
  name: 'test_probe_insert_v1',
  text: 'insert into statement_probe (id, value) values ($1::text, $2::text) returning id, value',
};
const READ: PreparedStatement = {
  name: 'test_probe_read_v1',
  text: 'select id, value from statement_probe where id = $1::text',
};

const PREPARED_NAMES: PreparedStatement = {
  name: 'test_probe_prepared_names_v1',
  text: "select name from pg_prepared_statements where name like $1::text || '%' order by name",
};

describeEachDatabase('transactions of fixed statements', (harness) => {
  const setUp = async () => {
    const { db } = harness().tollgate.context;
    await db.execute(sql`create table if not exists statement_probe (id text primary key, value text)`);
    await db.execute(sql`truncate statement_probe`);
    return { db, runner: harness().tollgate.database.statementTransaction };
  };
  const stored = async (id: string) => {
    const { db } = harness().tollgate.context;
    return queryRows<{ id: string; value: string | null }>(
      db,
      sql`select id, value from statement_probe where id = ${id}`,
    );
  };

  it('runs on PostgreSQL without drizzle and on PGlite through it', () => {
    const runner = harness().tollgate.database.statementTransaction;
    expect(runner === undefined).toBe(harness().target.name === 'pglite');
  });

  it('commits with the last statement and returns each statement its own rows', async () => {
    const { db, runner } = await setUp();
    const result = await withStatementTransaction(db, runner, async (session) => {
      const first = await session.run(INSERT, ['a', 'one']);
      const read = await session.run(READ, ['a']);
      const last = await session.runAndCommit(INSERT, ['b', 'two']);
      return { first, read, last };
    });
    expect(result).toEqual({
      first: [{ id: 'a', value: 'one' }],
      read: [{ id: 'a', value: 'one' }],
      last: [{ id: 'b', value: 'two' }],
    });
    expect(await stored('a')).toEqual([{ id: 'a', value: 'one' }]);
    expect(await stored('b')).toEqual([{ id: 'b', value: 'two' }]);
  });

  it('commits at the end when no statement was marked last, and runs nothing for empty work', async () => {
    const { db, runner } = await setUp();
    await withStatementTransaction(db, runner, (session) => session.run(INSERT, ['c', 'three']));
    expect(await stored('c')).toEqual([{ id: 'c', value: 'three' }]);
    expect(await withStatementTransaction(db, runner, async () => 'nothing')).toBe('nothing');
  });

  it('passes values exactly as written, quotes and backslashes included, and null as NULL', async () => {
    const { db, runner } = await setUp();
    const awkward = `it's "quoted" \\ back\\slash'); drop table statement_probe; -- \u00e9\u4e2d\n$1`;
    await withStatementTransaction(db, runner, async (session) => {
      await session.run(INSERT, ['awkward', awkward]);
      await session.runAndCommit(INSERT, ['empty', null]);
    });
    expect(await stored('awkward')).toEqual([{ id: 'awkward', value: awkward }]);
    expect(await stored('empty')).toEqual([{ id: 'empty', value: null }]);
  });

  it('rolls everything back when a statement fails, with the database error, and the connections stay usable', async () => {
    const { db, runner } = await setUp();
    // More rounds than the pool has connections, so a connection left in a failed transaction would be met again.
    for (let round = 0; round < 25; round += 1) {
      const failed = withStatementTransaction(db, runner, async (session) => {
        await session.run(INSERT, [`kept_${round}`, 'x']);
        await session.runAndCommit(INSERT, [`kept_${round}`, 'duplicate']);
      });
      // drizzle wraps the driver's error (the cause holds the code); the PostgreSQL runner passes it on.
      const error = (await failed.catch((caught: unknown) => caught)) as {
        code?: string;
        cause?: { code?: string };
      };
      expect(error.code ?? error.cause?.code).toBe('23505');
      expect(await stored(`kept_${round}`)).toEqual([]);
      await withStatementTransaction(db, runner, (session) => session.run(INSERT, [`after_${round}`, 'y']));
      expect(await stored(`after_${round}`)).toHaveLength(1);
    }
  });

  it('runs a transaction of one statement as that statement alone: all of it or none of it', async () => {
    const { db, runner } = await setUp();
    const INSERT_TWO: PreparedStatement = {
      name: 'test_probe_insert_two_v1',
      text: 'insert into statement_probe (id, value) values ($1::text, $2::text), ($3::text, $2::text)',
    };
    for (let round = 0; round < 25; round += 1) {
      // The second row repeats the first one's id: the statement fails and leaves neither row.
      const failed = withStatementTransaction(db, runner, (session) =>
        session.runAndCommit(INSERT_TWO, [`lone_${round}`, 'x', `lone_${round}`]),
      );
      const error = (await failed.catch((caught: unknown) => caught)) as {
        code?: string;
        cause?: { code?: string };
      };
      expect(error.code ?? error.cause?.code).toBe('23505');
      expect(await stored(`lone_${round}`)).toEqual([]);
      await withStatementTransaction(db, runner, (session) =>
        session.runAndCommit(INSERT_TWO, [`lone_${round}`, 'y', `lone_${round}_b`]),
      );
      expect(await stored(`lone_${round}`)).toEqual([{ id: `lone_${round}`, value: 'y' }]);
      expect(await stored(`lone_${round}_b`)).toHaveLength(1);
    }
  });

  it('prepares each statement once per connection on PostgreSQL, then only executes it', async () => {
    const { db, runner } = await setUp();
    const namesAfter = (id: string) =>
      withStatementTransaction(db, runner, async (session) => {
        await session.run(INSERT, [id, 'x']);
        return (await session.run<{ name: string }>(PREPARED_NAMES, ['test_probe_'])).map((row) => row.name);
      });
    // Rounds land on whichever pool connections are free: each prepares what it lacks, once (a second
    // PREPARE of a name would fail the round), and then finds both statements prepared.
    for (let round = 1; round <= 5; round += 1) {
      const names = await namesAfter(`prepared_${round}`);
      if (runner) {
        expect(names).toEqual(
          expect.arrayContaining(['test_probe_insert_v1_sql', 'test_probe_prepared_names_v1_sql']),
        );
      } else expect(names).toEqual([]);
    }
    expect(await stored('prepared_5')).toHaveLength(1);
  });

  it('rolls back when the work itself throws after a statement', async () => {
    const { db, runner } = await setUp();
    const failed = withStatementTransaction(db, runner, async (session) => {
      await session.run(INSERT, ['thrown', 'x']);
      throw new Error('decided against it');
    });
    await expect(failed).rejects.toThrow('decided against it');
    expect(await stored('thrown')).toEqual([]);
  });

  it('joins an outer transaction instead of committing on its own', async () => {
    const { db, runner } = await setUp();
    const outer = withTransaction(db, async (tx) => {
      await withStatementTransaction(tx, runner, (session) => session.runAndCommit(INSERT, ['inner', 'x']));
      throw new Error('abort the outer transaction');
    });
    await expect(outer).rejects.toThrow('abort the outer transaction');
    expect(await stored('inner')).toEqual([]);
  });

  it('refuses a statement after the commit on PostgreSQL (in a drizzle transaction nothing has committed yet)', async () => {
    const { db, runner } = await setUp();
    const late = withStatementTransaction(db, runner, async (session) => {
      await session.runAndCommit(INSERT, ['committed', 'x']);
      await session.run(INSERT, ['late', 'y']);
    });
    if (runner) await expect(late).rejects.toThrow('after the transaction committed');
    else await late;
    expect(await stored('committed')).toHaveLength(1);
    expect(await stored('late')).toHaveLength(runner ? 0 : 1);
  });

  it('lends its transaction to drizzle after the first statement: one commit, or one rollback, for both', async () => {
    const { db, runner } = await setUp();
    const insertWithDrizzle = (tx: Parameters<Parameters<typeof withTransaction>[1]>[0], id: string) =>
      tx.execute(sql`insert into statement_probe (id, value) values (${id}, 'drizzle')`);
    await withStatementTransaction(db, runner, async (session) => {
      await session.run(INSERT, ['lent_fixed', 'x']);
      const tx = session.asTransaction();
      await insertWithDrizzle(tx, 'lent_drizzle');
      // The drizzle side sees the fixed statement's uncommitted row: one transaction, one connection.
      expect(await queryRows(tx, sql`select id from statement_probe where id = 'lent_fixed'`)).toHaveLength(
        1,
      );
    });
    expect(await stored('lent_fixed')).toHaveLength(1);
    expect(await stored('lent_drizzle')).toHaveLength(1);

    const failed = withStatementTransaction(db, runner, async (session) => {
      await session.run(INSERT, ['lent_fixed_2', 'x']);
      await insertWithDrizzle(session.asTransaction(), 'lent_drizzle_2');
      throw new Error('decided against it');
    });
    await expect(failed).rejects.toThrow('decided against it');
    expect(await stored('lent_fixed_2')).toEqual([]);
    expect(await stored('lent_drizzle_2')).toEqual([]);
  });

  it('refuses to lend a transaction that has not begun on PostgreSQL', async () => {
    const { db, runner } = await setUp();
    const early = withStatementTransaction(db, runner, async (session) => session.asTransaction());
    if (runner) await expect(early).rejects.toThrow('run a statement first');
    else await expect(early).resolves.toBeDefined();
  });

  it('sends a write queued with writeLater with the next query, or with the commit, in the same transaction', async () => {
    const { db, runner } = await setUp();
    const seenInside = await withStatementTransaction(db, runner, async (session) => {
      await session.run(INSERT, ['queued_first', 'x']);
      const tx = session.asTransaction();
      await writeLater(tx, INSERT, ['queued_a', "it's \\ quoted"]);
      // The next query (drizzle's, with values of several kinds) sees the queued write.
      const rows = await queryRows<{ id: string; value: string }>(
        tx,
        sql`select id, value from statement_probe where id = ${'queued_a'} and ${1} = 1 and ${true} and ${new Date(0)}::timestamptz < now()`,
      );
      await writeLater(tx, INSERT, ['queued_b', null]);
      return rows;
    });
    expect(seenInside).toEqual([{ id: 'queued_a', value: "it's \\ quoted" }]);
    // queued_b went out with the COMMIT.
    expect(await stored('queued_b')).toEqual([{ id: 'queued_b', value: null }]);
  });

  it('fails the whole transaction when a queued write fails, at the statement it travelled with', async () => {
    const { db, runner } = await setUp();
    const failed = withStatementTransaction(db, runner, async (session) => {
      await session.run(INSERT, ['queued_ok', 'x']);
      const tx = session.asTransaction();
      await writeLater(tx, INSERT, ['queued_ok', 'duplicate key']);
      await session.run(INSERT, ['queued_after', 'y']);
    });
    const error = await failed.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(sqlStateOf(error)).toBe('23505');
    expect(await stored('queued_ok')).toEqual([]);
    expect(await stored('queued_after')).toEqual([]);
    // The connection went back to the pool usable.
    await withStatementTransaction(db, runner, (session) =>
      session.runAndCommit(INSERT, ['queued_later', 'z']),
    );
    expect(await stored('queued_later')).toHaveLength(1);
  });

  it('drops queued writes when the work throws before they were sent', async () => {
    const { db, runner } = await setUp();
    const failed = withStatementTransaction(db, runner, async (session) => {
      await session.run(INSERT, ['dropped_first', 'x']);
      await writeLater(session.asTransaction(), INSERT, ['dropped_queued', 'y']);
      throw new Error('decided against it');
    });
    await expect(failed).rejects.toThrow('decided against it');
    expect(await stored('dropped_first')).toEqual([]);
    expect(await stored('dropped_queued')).toEqual([]);
  });
});
