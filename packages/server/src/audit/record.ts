import { namedStatement, valuesOf } from '../db/named-statement.js';
import { writeLater } from '../db/statement-transaction.js';
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

const APPEND_AUDIT_ENTRY = namedStatement(
  'audit_append',
  ['organizationId', 'actor', 'action', 'targetType', 'targetId', 'before', 'after', 'requestId'],
  (
    p,
  ) => `insert into audit_log (organization_id, actor, action, target_type, target_id, before, after, request_id)
    values (${p.organizationId}, ${p.actor}, ${p.action}, ${p.targetType}, ${p.targetId}, ${p.before}::jsonb,
            ${p.after}::jsonb, ${p.requestId})`,
);

const jsonOrNull = (value: unknown) => (value === null ? null : JSON.stringify(value));

/**
 * Appends to the audit log. Call it inside the transaction of the change it records; nothing reads
 * its answer, so it may travel with the transaction's next statement (`writeLater`).
 */
export async function recordAudit(tx: DbOrTx, entry: AuditEntry): Promise<void> {
  await writeLater(
    tx,
    APPEND_AUDIT_ENTRY,
    valuesOf(APPEND_AUDIT_ENTRY, {
      organizationId: entry.organizationId,
      actor: entry.actor,
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId,
      before: jsonOrNull(auditSnapshot(entry.before)),
      after: jsonOrNull(auditSnapshot(entry.after)),
      requestId: entry.requestId ?? null,
    }),
  );
}
