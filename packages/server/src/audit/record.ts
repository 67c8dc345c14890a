import { auditLog } from '../db/schema/index.js';
import type { DbOrTx } from '../db/transaction.js';
import { auditSnapshot } from './snapshot.js';

export type AuditEntry = {
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  organizationId: string | null;
  before?: unknown;
  after?: unknown;
  requestId?: string | null;
};

/** Appends to the audit log. Call it inside the transaction of the change it records. */
export async function recordAudit(tx: DbOrTx, entry: AuditEntry): Promise<void> {
  await tx.insert(auditLog).values({
    actor: entry.actor,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    organizationId: entry.organizationId,
    before: auditSnapshot(entry.before),
    after: auditSnapshot(entry.after),
    requestId: entry.requestId ?? null,
  });
}
