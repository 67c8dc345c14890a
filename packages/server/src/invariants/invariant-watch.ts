import { sql } from 'drizzle-orm';
import { recordAudit } from '../audit/record.js';
import { findLedgerDiscrepancies } from '../credits/verify-ledger.js';
import { queryRows } from '../db/query-rows.js';
import type { ParkedReason } from '../db/schema/index.js';
import { type DbOrTx, withTransaction } from '../db/transaction.js';
import { findCounterDiscrepancies } from '../metering/reads/verify-counters.js';
import { queueNotification } from '../notifications/queue-notification.js';
import { parkOrganization } from './parked-organizations.js';

/** Organizations checked per round when the caller does not say. */
export const DEFAULT_INVARIANT_SAMPLE = 200;

export type InvariantWatchRun = { checked: number; parked: string[] };

/**
 * Draws a sample of organizations not parked yet: a different one each round, so that over rounds
 * every organization is checked without a round ever reading all of them.
 */
async function sampleOrganizations(db: DbOrTx, size: number): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`select o.id from organizations o
        where not exists (select 1 from parked_organizations p where p.organization_id = o.id)
        order by random() limit ${size}`,
  );
  return rows.map((row) => row.id);
}

/**
 * The invariant watch: for a sample of organizations, balance = Σ lots = Σ journal and usage
 * counters = events. An organization that fails is parked (no Stripe call of its is delivered), and
 * the operator told: a notification `organization.parked` to the host app, in the transaction that
 * parks it, and an audit entry. Idempotent: a parked organization is not sampled, nor parked twice.
 */
export async function watchInvariants(
  db: DbOrTx,
  now: Date,
  options: { sampleSize?: number } = {},
): Promise<InvariantWatchRun> {
  const sample = await sampleOrganizations(db, options.sampleSize ?? DEFAULT_INVARIANT_SAMPLE);
  const reasonsByOrganization = new Map<string, ParkedReason[]>();
  const reasonsOf = (organizationId: string) => {
    let reasons = reasonsByOrganization.get(organizationId);
    if (!reasons) {
      reasons = [];
      reasonsByOrganization.set(organizationId, reasons);
    }
    return reasons;
  };
  for (const { organization_id, ...lot } of await findLedgerDiscrepancies(db, sample)) {
    reasonsOf(organization_id).push({ check: 'credit_lot_equals_journal', ...lot });
  }
  for (const { organization_id, ...counter } of await findCounterDiscrepancies(db, sample)) {
    reasonsOf(organization_id).push({ check: 'usage_counter_equals_events', ...counter });
  }
  const parked: string[] = [];
  for (const [organizationId, reasons] of reasonsByOrganization) {
    const newlyParked = await withTransaction(db, async (tx) => {
      if (!(await parkOrganization(tx, organizationId, reasons, now))) return false;
      await queueNotification(tx, {
        organizationId,
        kind: 'organization.parked',
        payload: { organization_id: organizationId, reasons },
        now,
      });
      await recordAudit(tx, {
        actor: 'system',
        action: 'organization.parked',
        targetType: 'organization',
        targetId: organizationId,
        organizationId,
        after: { reasons },
      });
      return true;
    });
    if (newlyParked) parked.push(organizationId);
  }
  return { checked: sample.length, parked };
}
