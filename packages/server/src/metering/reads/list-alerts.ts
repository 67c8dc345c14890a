import { toDecimal } from '@tollgate/core';
import type { DbOrTx } from '../../db/transaction.js';
import { jsonNumber } from '../check-answer.js';
import { selectAlerts } from '../tables/usage-alerts.js';

/** The organization's usage alerts, newest first. */
export async function listAlerts(db: DbOrTx, organizationId: string, limit: number) {
  const rows = await selectAlerts(db, organizationId, limit);
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
