import { sql } from 'drizzle-orm';
import { recordAudit } from '../audit/record.js';
import { findLedgerDiscrepancies } from '../credits/verify-ledger.js';
import { queryRows } from '../db/query-rows.js';
import type { ParkedReason } from '../db/schema/index.js';
import { type DbOrTx, withTransaction } from '../db/transaction.js';
import { findCounterDiscrepancies } from '../metering/reads/verify-counters.js';
import { queueNotification } from '../notifications/queue-notification.js';
import { parkOrganization } from './parked-organizations.js';

/** Organizations verified per statement pair; a round goes on batch by batch. */
export const INVARIANT_BATCH = 50;
/** How long a round may spend verifying before it leaves the rest to the next round. */
export const DEFAULT_INVARIANT_BUDGET_MS = 250;

/**
 * Where the watch goes on from: the last organization id it took up, in id order. Kept by the job
 * scheduler between rounds; a fresh one starts from the first organization.
 */
export type InvariantCursor = { after: string | null };

export type InvariantWatchOptions = {
  cursor?: InvariantCursor;
  budgetMs?: number;
  batchSize?: number;
};

export type InvariantWatchRun = { checked: number; parked: string[] };

/** The next organizations not parked after `after`, and not after `upTo`, in id order. */
async function organizationsAfter(
  db: DbOrTx,
  after: string | null,
  upTo: string | null,
  limit: number,
): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`select o.id from organizations o
        where (${after}::text is null or o.id > ${after})
          and (${upTo}::text is null or o.id <= ${upTo})
          and not exists (select 1 from parked_organizations p where p.organization_id = o.id)
        order by o.id limit ${limit}`,
  );
  return rows.map((row) => row.id);
}

/**
 * The organizations of this round, batch by batch: from the cursor on, round the ring of ids, each at
 * most once, until the budget is spent. The cursor moves before a batch is verified, so a batch that
 * fails (a statement timeout on a huge organization) is not tried again at every round: the next round
 * goes on past it. A verification's cost grows with its organizations' events in their open periods,
 * so a round of the whole installation would grow with the events stored; a budget keeps each round's
 * cost flat, and over rounds every organization is still verified in turn.
 */
async function* batchesOfRound(db: DbOrTx, options: InvariantWatchOptions) {
  const cursor = options.cursor ?? { after: null };
  const budgetMs = options.budgetMs ?? DEFAULT_INVARIANT_BUDGET_MS;
  const limit = options.batchSize ?? INVARIANT_BATCH;
  const startedAt = performance.now();
  const roundStart = cursor.after;
  // Past the round's start first, then (wrapped round) from the first id up to it.
  let wrapped = false;
  let after = roundStart;
  for (;;) {
    const batch = await organizationsAfter(db, after, wrapped ? roundStart : null, limit);
    if (batch.length === 0) {
      if (wrapped || roundStart === null) return;
      wrapped = true;
      after = null;
      continue;
    }
    after = batch[batch.length - 1] as string;
    cursor.after = after;
    yield batch;
    if (performance.now() - startedAt >= budgetMs) return;
  }
}

/**
 * The invariant watch: for the organizations of this round, balance = Σ lots = Σ journal and usage
 * counters = events. An organization that fails is parked (no Stripe call of its is delivered), and
 * the operator told: a notification `organization.parked` to the host app, in the transaction that
 * parks it, and an audit entry. Idempotent: a parked organization is not verified, nor parked twice.
 */
export async function watchInvariants(
  db: DbOrTx,
  now: Date,
  options: InvariantWatchOptions = {},
): Promise<InvariantWatchRun> {
  const reasonsByOrganization = new Map<string, ParkedReason[]>();
  const reasonsOf = (organizationId: string) => {
    let reasons = reasonsByOrganization.get(organizationId);
    if (!reasons) {
      reasons = [];
      reasonsByOrganization.set(organizationId, reasons);
    }
    return reasons;
  };
  let checked = 0;
  for await (const batch of batchesOfRound(db, options)) {
    for (const { organization_id, ...lot } of await findLedgerDiscrepancies(db, batch)) {
      reasonsOf(organization_id).push({ check: 'credit_lot_equals_journal', ...lot });
    }
    for (const { organization_id, ...counter } of await findCounterDiscrepancies(db, batch)) {
      reasonsOf(organization_id).push({ check: 'usage_counter_equals_events', ...counter });
    }
    checked += batch.length;
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
  return { checked, parked };
}
