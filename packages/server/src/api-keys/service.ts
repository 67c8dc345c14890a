import { desc, eq } from 'drizzle-orm';
import { recordAudit } from '../audit/record.js';
import { announceApiKeyRevoked } from '../auth/api-key-lookup.js';
import { generateSecretKey, hashSecret, randomId } from '../auth/secrets.js';
import { apiKeys } from '../db/schema/index.js';
import { type DbOrTx, withTransaction } from '../db/transaction.js';
import { AppError, notFound } from '../errors.js';
import type { Actor } from '../organizations/service.js';

export type ApiKeyRow = typeof apiKeys.$inferSelect;
type PublicApiKey = Omit<ApiKeyRow, 'secretHash'>;

const withoutSecret = ({ secretHash: _secretHash, ...rest }: ApiKeyRow): PublicApiKey => rest;

/** Creates a secret key; the secret is returned this once and only its hash is kept. */
export async function createApiKey(db: DbOrTx, name: string, actor: Actor) {
  const secret = generateSecretKey();
  return withTransaction(db, async (tx) => {
    const [key] = await tx
      .insert(apiKeys)
      .values({
        id: randomId('key'),
        name,
        displayPrefix: secret.slice(0, 10),
        secretHash: hashSecret(secret),
        createdBy: actor.actor,
        createdAt: actor.now,
      })
      .returning();
    if (!key) throw new Error('api key insert returned no row');
    const visible = withoutSecret(key);
    await recordAudit(tx, {
      actor: actor.actor,
      action: 'api_key.created',
      targetType: 'api_key',
      targetId: key.id,
      organizationId: null,
      after: visible,
      requestId: actor.requestId,
    });
    return { ...visible, secret };
  });
}

export async function listApiKeys(db: DbOrTx): Promise<PublicApiKey[]> {
  const rows = await db.select().from(apiKeys).orderBy(desc(apiKeys.createdAt));
  return rows.map(withoutSecret);
}

/**
 * Revocation takes effect on the very next request in this process and, through the notification
 * sent at commit, in every other process as soon as it arrives (auth/api-key-lookup.ts).
 */
export async function revokeApiKey(db: DbOrTx, keyId: string, actor: Actor): Promise<PublicApiKey> {
  return withTransaction(db, async (tx) => {
    const [before] = await tx.select().from(apiKeys).where(eq(apiKeys.id, keyId)).for('update');
    if (!before) throw notFound('api key', keyId);
    if (before.revokedAt) throw new AppError('api_key_revoked', 409, `api key "${keyId}" is already revoked`);
    const [after] = await tx
      .update(apiKeys)
      .set({ revokedAt: actor.now })
      .where(eq(apiKeys.id, keyId))
      .returning();
    if (!after) throw notFound('api key', keyId);
    await announceApiKeyRevoked(tx, keyId);
    await recordAudit(tx, {
      actor: actor.actor,
      action: 'api_key.revoked',
      targetType: 'api_key',
      targetId: keyId,
      organizationId: null,
      before: withoutSecret(before),
      after: withoutSecret(after),
      requestId: actor.requestId,
    });
    return withoutSecret(after);
  });
}
