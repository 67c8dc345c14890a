import { toDecimal } from '@tollgate/core';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../db/query-rows.js';
import type { DbOrTx } from '../../db/transaction.js';
import { jsonNumber } from '../check-answer.js';

/** The organization's usage alerts, newest first. */
export async function listAlerts(db: DbOrTx, organizationId: string, limit: number) {
  const rows = await queryRows<{
    feature: string;
    threshold: number;
    period_start: Date | string;
    period_end: Date | string;
    used: string;
    limit: string;
    created_at: Date | string;
  }>(
    db,
    sql`select feature, threshold, period_start, period_end, used::text as used, "limit"::text as "limit", created_at
        from usage_alerts where organization_id = ${organizationId}
        order by created_at desc, threshold desc limit ${limit}`,
  );
  return rows.map((row) => ({
    feature: row.feature,
    threshold: row.threshold,
    period_start: new Date(row.period_start).toISOString(),
    period_end: new Date(row.period_end).toISOString(),
    used: jsonNumber(toDecimal(row.used)),
    limit: jsonNumber(toDecimal(row.limit)),
    created_at: new Date(row.created_at).toISOString(),
  }));
}
