import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipUnless } from '../../../../test-support/skips.js';
import { loadConfig } from '../../src/config.js';
import { type DatabaseHandle, openDatabase } from '../../src/db/client.js';
import { queryRows } from '../../src/db/query-rows.js';
import { primaryReads, type ReadDatabase, replicaReads } from '../../src/db/read-database.js';
import { createScratchDatabase, NEEDS_POSTGRES, testDatabaseUrl } from '../support/databases.js';
import { freePort } from '../support/private-postgres.js';

describe('DATABASE_READ_URL', () => {
  it('is read with DATABASE_URL and refused without it (the embedded database has no replica)', () => {
    expect(loadConfig({}).databaseReadUrl).toBeUndefined();
    expect(
      loadConfig({
        DATABASE_URL: 'postgres://tollgate@primary:5432/tollgate',
        DATABASE_READ_URL: 'postgres://tollgate@replica:5432/tollgate',
      }).databaseReadUrl,
    ).toBe('postgres://tollgate@replica:5432/tollgate');
    expect(() => loadConfig({ DATABASE_READ_URL: 'postgres://tollgate@replica:5432/tollgate' })).toThrow(
      /DATABASE_READ_URL/,
    );
    expect(() =>
      loadConfig({ DATABASE_URL: 'postgres://tollgate@primary:5432/tollgate', DATABASE_READ_URL: 'replica' }),
    ).toThrow(/DATABASE_READ_URL/);
  });
});

describe('reads that may lag, on a replica [postgres]', skipUnless(testDatabaseUrl, NEEDS_POSTGRES), () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let primary: DatabaseHandle;
  const opened: ReadDatabase[] = [];
  const limits = { max: 4, connectionTimeoutMillis: 1_000, statement_timeout: 5_000 };
  const whichDatabase = (reads: ReadDatabase) =>
    reads.read(
      async (db) => (await queryRows<{ name: string }>(db, sql`select current_database() as name`))[0]?.name,
    );

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    primary = await openDatabase({ databaseUrl: scratch.url });
  });
  afterAll(async () => {
    for (const reads of opened) await reads.close();
    await primary?.close();
    await scratch?.drop();
  });

  it('falls back to the primary while the replica cannot be reached, and says so once', async () => {
    const closedPort = await freePort();
    const unavailable: unknown[] = [];
    const reads = replicaReads({
      primary: primary.db,
      replicaUrl: `postgres://postgres@127.0.0.1:${closedPort}/nowhere`,
      limits,
      retryMs: 60_000,
      events: { onUnavailable: (error) => unavailable.push(error), onRecovered: () => undefined },
    });
    opened.push(reads);
    expect(reads.target).toBe('replica');
    const names = await Promise.all(Array.from({ length: 8 }, () => whichDatabase(reads)));
    const primaryName = new URL(scratch.url).pathname.slice(1);
    expect(names).toEqual(Array(8).fill(primaryName));
    expect(await whichDatabase(reads)).toBe(primaryName);
    expect(unavailable).toHaveLength(1);
    expect(reads.target).toBe('primary');
  });

  it("throws a read's own error from a replica that answers, without falling back", async () => {
    const unavailable: unknown[] = [];
    // The scratch database stands in for a replica that answers.
    const reads = replicaReads({
      primary: primary.db,
      replicaUrl: scratch.url,
      limits,
      events: { onUnavailable: (error) => unavailable.push(error), onRecovered: () => undefined },
    });
    opened.push(reads);
    await expect(reads.read((db) => queryRows(db, sql`select * from no_such_table`))).rejects.toThrow();
    expect(unavailable).toEqual([]);
    expect(reads.target).toBe('replica');
  });

  it('without a replica, reads the primary', async () => {
    const reads = primaryReads(primary.db);
    expect(reads.target).toBe('primary');
    expect(await whichDatabase(reads)).toBe(new URL(scratch.url).pathname.slice(1));
  });
});
