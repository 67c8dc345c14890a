import type { Catalog } from '@tollgate/core';
import { catalogVersions } from '../db/schema/index.js';
import type { DbOrTx } from '../db/transaction.js';

/** Stores the loaded catalog definition by content hash, so every subscription can name the version it was sold under. */
export async function recordCatalogVersion(db: DbOrTx, catalog: Catalog, now: Date): Promise<void> {
  await db
    .insert(catalogVersions)
    .values({
      hash: catalog.hash,
      version: catalog.version,
      definition: catalog.definition,
      firstLoadedAt: now,
      lastLoadedAt: now,
    })
    .onConflictDoUpdate({ target: catalogVersions.hash, set: { lastLoadedAt: now } });
}

/**
 * The catalog as the server uses it: today's definition, plus the earlier plan definitions that
 * subscribers keep (every version ever loaded is stored, so their plans stay resolvable).
 */
export async function catalogWithPlanVersions(db: DbOrTx, catalog: Catalog): Promise<Catalog> {
  const versions = await db
    .select({ hash: catalogVersions.hash, definition: catalogVersions.definition })
    .from(catalogVersions);
  return catalog.withPlanVersions(versions);
}
