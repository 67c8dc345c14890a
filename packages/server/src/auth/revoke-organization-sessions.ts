import { recordAudit } from '../audit/record.js';
import { type DbOrTx, withTransaction } from '../db/transaction.js';
import { type Actor, getOrganization } from '../organizations/service.js';
import type { SessionRevocations } from './session-revocations.js';

/** Revokes every session token of an organization minted so far; tokens minted afterwards work. */
export async function revokeOrganizationSessions(
  db: DbOrTx,
  sessions: SessionRevocations,
  organizationId: string,
  actor: Actor,
): Promise<{ generation: number }> {
  const generation = await withTransaction(db, async (tx) => {
    await getOrganization(tx, organizationId);
    const next = await sessions.revokeAll(tx, organizationId, actor.now);
    await recordAudit(tx, {
      actor: actor.actor,
      action: 'sessions.revoked',
      targetType: 'organization',
      targetId: organizationId,
      organizationId,
      after: { session_generation: next },
      requestId: actor.requestId,
    });
    return next;
  });
  // This process stops accepting them now; the others when the notification reaches them at commit.
  sessions.forget(organizationId);
  return { generation };
}
