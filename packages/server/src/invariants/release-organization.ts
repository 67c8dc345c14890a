import { recordAudit } from '../audit/record.js';
import { type DbOrTx, withTransaction } from '../db/transaction.js';
import { notFound } from '../errors.js';
import type { Actor } from '../organizations/service.js';
import { clearParkedOrganization, type ParkedOrganization } from './parked-organizations.js';

/**
 * An operator's release of a parked organization, once its ledger or counters are put right: its
 * queued Stripe calls go out again with the next outbox round. Audited; 404 when it was not parked.
 */
export async function releaseParkedOrganization(
  db: DbOrTx,
  organizationId: string,
  actor: Actor,
): Promise<ParkedOrganization> {
  return withTransaction(db, async (tx) => {
    const released = await clearParkedOrganization(tx, organizationId);
    if (!released) throw notFound('parked organization', organizationId);
    await recordAudit(tx, {
      actor: actor.actor,
      action: 'organization.unparked',
      targetType: 'organization',
      targetId: organizationId,
      organizationId,
      before: { reasons: released.reasons, parked_at: released.parkedAt.toISOString() },
      requestId: actor.requestId,
    });
    return released;
  });
}
