import { sql } from 'drizzle-orm';
import { queryRows, sqlValueList } from '../db/query-rows.js';
import type { DbOrTx } from '../db/transaction.js';

/** A lot whose remaining is not the sum of its journal entries, or journal entries naming no lot. */
export type LedgerDiscrepancy = {
  organization_id: string;
  lot_id: string;
  /** null: the journal names a lot that does not exist. */
  remaining: string | null;
  journal: string;
};

/**
 * The ledger's invariant, per lot: remaining = Σ its journal entries, and every journal entry
 * belongs to a lot. Together they give balance = Σ lots = Σ journal for every wallet. One statement,
 * so one snapshot: a movement committed meanwhile is seen whole on both sides or not at all.
 */
export async function findLedgerDiscrepancies(
  db: DbOrTx,
  organizationIds: readonly string[],
): Promise<LedgerDiscrepancy[]> {
  if (organizationIds.length === 0) return [];
  const organizations = sqlValueList(organizationIds);
  return queryRows<LedgerDiscrepancy>(
    db,
    sql`with journal as (
          select organization_id, lot_id, sum(amount) as total
          from credit_journal where organization_id in ${organizations}
          group by organization_id, lot_id
        )
        select l.organization_id, l.id as lot_id, l.remaining::text as remaining,
               coalesce(j.total, 0)::text as journal
        from credit_lots l
        left join journal j on j.organization_id = l.organization_id and j.lot_id = l.id
        where l.organization_id in ${organizations} and l.remaining <> coalesce(j.total, 0)
        union all
        select j.organization_id, j.lot_id, null, j.total::text
        from journal j
        where not exists (
          select 1 from credit_lots l where l.organization_id = j.organization_id and l.id = j.lot_id
        )
        order by 1, 2`,
  );
}
