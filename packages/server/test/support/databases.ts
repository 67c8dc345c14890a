import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL server the integration tests also run on, when set (CI sets it). */
export const testDatabaseUrl = process.env.TEST_DATABASE_URL || undefined;

/** Why PostgreSQL-only suites skip without it: PGlite runs one query at a time, and one process. */
export const NEEDS_POSTGRES =
  'needs PostgreSQL (concurrency, locking or several processes on one database): set TEST_DATABASE_URL';

export type DatabaseTarget = { name: 'pglite' | 'postgres' };

export const databaseTargets: DatabaseTarget[] = testDatabaseUrl
  ? [{ name: 'pglite' }, { name: 'postgres' }]
  : [{ name: 'pglite' }];

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function onAdminConnection<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  if (!testDatabaseUrl) throw new Error('TEST_DATABASE_URL is not set');
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh, uniquely named database on the shared PostgreSQL server, so runs never see each other's
 * rows and a second run in a row starts clean. `drop` removes it.
 */
export async function createScratchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `tollgate_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await onAdminConnection(async (client) => {
    await dropAbandonedDatabases(client);
    await client.query(`create database "${name}"`);
  });
  return {
    url: withDatabase(testDatabaseUrl as string, name),
    async drop() {
      await onAdminConnection((client) => client.query(`drop database if exists "${name}" with (force)`));
    },
  };
}

/** Databases of runs that died before dropping theirs; old enough that no live run can still use them. */
const ABANDONED_AFTER_MS = 6 * 60 * 60 * 1000;

async function dropAbandonedDatabases(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ datname: string }>(
    "select datname from pg_database where datname like 'tollgate\\_test\\_%'",
  );
  for (const { datname } of rows) {
    const createdAt = Number.parseInt(datname.split('_')[2] ?? '', 36);
    if (Number.isFinite(createdAt) && Date.now() - createdAt > ABANDONED_AFTER_MS) {
      await client.query(`drop database if exists "${datname}" with (force)`);
    }
  }
}
