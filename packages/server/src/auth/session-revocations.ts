import { sql } from 'drizzle-orm';
import type { DatabaseHandle } from '../db/client.js';
import { listenForChanges } from '../db/notifications.js';
import { queryRows } from '../db/query-rows.js';
import type { DbOrTx } from '../db/transaction.js';

/**
 * The session generation of each organization (table organization_session_generations, migration
 * 0011): a session token is valid only while it carries its organization's current generation, and
 * revoking every token of an organization bumps it.
 */
export type SessionRevocations = {
  /** The generation this process holds in memory, or undefined for "ask `current`". */
  remembered(organizationId: string): number | undefined;
  current(organizationId: string, db?: DbOrTx): Promise<number>;
  /** Bumps the generation in the caller's transaction; every process hears it at commit. */
  revokeAll(tx: DbOrTx, organizationId: string, now: Date): Promise<number>;
  /** Drops what this process remembers of an organization revoked here, without waiting for its own notification. */
  forget(organizationId: string): void;
  close(): Promise<void>;
};

export const SESSIONS_REVOKED_CHANNEL = 'tollgate_sessions_revoked';

const MAX_REMEMBERED = 10_000;

/**
 * Remembers generations only while this process hears revocations (as api-key-lookup.ts does for
 * keys): a revocation anywhere drops the organization from every process's memory at its commit, and
 * while the subscription is down every session request asks the database.
 */
export async function createSessionRevocations(database: DatabaseHandle): Promise<SessionRevocations> {
  const known = new Map<string, number>();
  let version = 0;
  const forget = (organizationId: string) => {
    version += 1;
    known.delete(organizationId);
  };
  const forgetAll = () => {
    version += 1;
    known.clear();
  };
  const revocations = await listenForChanges(database, SESSIONS_REVOKED_CHANNEL, {
    onMessage: forget,
    forgetAll,
  });
  const read = async (db: DbOrTx, organizationId: string) => {
    const rows = await queryRows<{ generation: number }>(
      db,
      sql`select generation from organization_session_generations where organization_id = ${organizationId}`,
    );
    return Number(rows[0]?.generation ?? 0);
  };
  return {
    remembered: (organizationId) => (revocations.listening() ? known.get(organizationId) : undefined),
    async current(organizationId, db = database.db) {
      const startedAt = version;
      const generation = await read(db, organizationId);
      if (revocations.listening() && version === startedAt && db === database.db) {
        if (known.size >= MAX_REMEMBERED) known.clear();
        known.set(organizationId, generation);
      }
      return generation;
    },
    async revokeAll(tx, organizationId, now) {
      const rows = await queryRows<{ generation: number }>(
        tx,
        sql`insert into organization_session_generations (organization_id, generation, revoked_at)
            values (${organizationId}, 1, ${now.toISOString()})
            on conflict (organization_id) do update
              set generation = organization_session_generations.generation + 1, revoked_at = excluded.revoked_at
            returning generation`,
      );
      await tx.execute(sql`select pg_notify(${SESSIONS_REVOKED_CHANNEL}, ${organizationId})`);
      return Number(rows[0]?.generation);
    },
    forget,
    close: revocations.stop,
  };
}
