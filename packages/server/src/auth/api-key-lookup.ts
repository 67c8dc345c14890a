import { sql } from 'drizzle-orm';
import { createBatcher } from '../db/batcher.js';
import type { DatabaseHandle } from '../db/client.js';
import { listenForChanges } from '../db/notifications.js';
import { queryRows } from '../db/query-rows.js';
import type { DbOrTx } from '../db/transaction.js';
import { hashSecret } from './secrets.js';

/** Finds live API keys by their secret. */
export type ApiKeyLookup = {
  /** The key's id, or undefined when unknown or revoked. `secretHash` saves hashing it again. */
  find(secret: string, secretHash?: string): Promise<string | undefined>;
  /**
   * The id of a live key this process already holds in memory, without hashing its secret (a host
   * app sends the same key with every request); undefined means only "not in memory".
   */
  remembered(secret: string): string | undefined;
  /** Drops a key revoked by this process at once, without waiting for its own notification. */
  forget(keyId: string): void;
  close(): Promise<void>;
};

/** Revoking a key notifies this channel (in its transaction, so at commit) with the key's id. */
export const API_KEY_REVOKED_CHANNEL = 'tollgate_api_key_revoked';

/** Tells every process that `keyId` is revoked, when the caller's transaction commits. */
export async function announceApiKeyRevoked(tx: DbOrTx, keyId: string): Promise<void> {
  await tx.execute(sql`select pg_notify(${API_KEY_REVOKED_CHANNEL}, ${keyId})`);
}

const MAX_CACHED_KEYS = 10_000;

/**
 * Resolves keys with one query per event-loop turn for the keys not yet known, and remembers live
 * keys while this process is subscribed to revocations: a revoke anywhere reaches every process
 * through NOTIFY at its commit and drops the key from their memory, so a revoked key stops working
 * everywhere within the notification's delivery. Whenever the subscription is down (and so
 * revocations could be missed) nothing is remembered and every request asks the database.
 */
export async function createApiKeyLookup(database: DatabaseHandle): Promise<ApiKeyLookup> {
  // Secret → key id. Keyed by the secret itself, not its hash, so that a known key costs no hashing.
  const known = new Map<string, string>();
  // Bumped by every revocation and subscription loss, so a lookup that raced one is not remembered.
  let generation = 0;
  const forgetAll = () => {
    generation += 1;
    known.clear();
  };
  const forget = (keyId: string) => {
    generation += 1;
    for (const [secret, id] of known) if (id === keyId) known.delete(secret);
  };
  const revocations = await listenForChanges(database, API_KEY_REVOKED_CHANNEL, {
    onMessage: forget,
    forgetAll,
  });
  const lookups = createBatcher<string, string | undefined>({
    async run(hashes) {
      const rows = await queryRows<{ id: string; secret_hash: string }>(
        database.db,
        sql`select k.id, k.secret_hash
            from json_array_elements_text(${JSON.stringify([...new Set(hashes)])}::json) as h(secret_hash)
            cross join lateral (
              select id, secret_hash from api_keys
              where secret_hash = h.secret_hash and revoked_at is null
              offset 0
            ) k`,
      );
      const idByHash = new Map(rows.map((row) => [row.secret_hash, row.id]));
      return hashes.map((hash) => idByHash.get(hash));
    },
    maxBatchSize: 500,
    maxConcurrentBatches: 4,
  });
  return {
    remembered: (secret) => (revocations.listening() ? known.get(secret) : undefined),
    async find(secret, secretHash = hashSecret(secret)) {
      const remembered = revocations.listening() ? known.get(secret) : undefined;
      if (remembered) return remembered;
      const startedAt = generation;
      const keyId = await lookups.submit(secretHash);
      if (keyId && revocations.listening() && generation === startedAt) {
        if (known.size >= MAX_CACHED_KEYS) known.clear();
        known.set(secret, keyId);
      }
      return keyId;
    },
    forget,
    close: revocations.stop,
  };
}
