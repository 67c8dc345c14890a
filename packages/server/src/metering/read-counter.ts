import { type Decimal, type Period, toDecimal } from '@tollgate/core';
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/transaction.js';
import { ORGANIZATION_TOTAL } from './counters.js';
import { queryRows } from './query-rows.js';

/** The organization's usage of a feature in a period: one primary-key read, never a scan of events. */
export async function readCounter(
  db: DbOrTx,
  organizationId: string,
  feature: string,
  period: Period,
): Promise<Decimal> {
  const [row] = await queryRows<{ used: string }>(
    db,
    sql`select used::text as used from usage_counters
        where organization_id = ${organizationId} and feature = ${feature}
          and period_start = ${period.start.toISOString()}::timestamptz and project_id = ${ORGANIZATION_TOTAL}`,
  );
  return toDecimal(row?.used ?? 0);
}
