import { fileURLToPath } from 'node:url';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePostgres } from 'drizzle-orm/node-postgres/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { DatabaseHandle, Schema } from './client.js';
import { provisionTenantRole } from './tenant-role.js';

/** Shared by every Tollgate process on one database, so only one migrates at a time. */
const MIGRATION_LOCK_KEY = 7_400_412_001;

export const migrationsFolder = fileURLToPath(new URL('../../migrations', import.meta.url));

/**
 * Applies pending migrations, then provisions the tenant role of row-level security.
 * Two processes starting together both come up: the second waits on the advisory lock, then finds
 * nothing left to apply.
 */
export async function runMigrations(handle: DatabaseHandle): Promise<void> {
  await handle.withAdvisoryLock(MIGRATION_LOCK_KEY, async (db) => {
    if (handle.kind === 'pglite') {
      await migratePglite(db as unknown as PgliteDatabase<Schema>, { migrationsFolder });
    } else {
      await migrateNodePostgres(db as unknown as NodePgDatabase<Schema>, { migrationsFolder });
    }
    await provisionTenantRole(db);
  });
}
