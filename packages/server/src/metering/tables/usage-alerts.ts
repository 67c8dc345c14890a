import { type Decimal, decimalText } from '@tollgate/core';
import { sql } from 'drizzle-orm';
import { fixedStatementSql } from '../../db/fixed-statements.js';
import { columnList, fromJsonRows, jsonRows } from '../../db/json-rows.js';
import { queryRows } from '../../db/query-rows.js';
import type { DbOrTx } from '../../db/transaction.js';

/**
 * `usage_alerts`: each alert threshold an organization's usage crossed, once per feature and period;
 * a new one also queues its notification.
 */

export type AlertCrossing = {
  organizationId: string;
  feature: string;
  periodStart: Date;
  periodEnd: Date;
  threshold: number;
  used: Decimal;
  limit: Decimal;
};

const COLUMNS = {
  organization_id: 'text',
  feature: 'text',
  period_start: 'timestamptz',
  threshold: 'integer',
  period_end: 'timestamptz',
  used: 'numeric',
  limit: 'numeric',
} as const;

/**
 * The statements that store crossed thresholds and queue one notification per alert that is new:
 * `fired` inserts the alerts (`alertRows`, from the json parameter `rows`), `notify` queues a
 * notification for each row `fired` returned; `now` is a timestamptz parameter. The alert's primary
 * key makes each threshold fire once per organization, feature and period even when concurrent
 * batches cross it together. Callers put them in one statement (WITH fired AS …).
 */
export function alertTexts(rows: string, now: string): { fired: string; notify: string } {
  return {
    fired: `
      insert into usage_alerts (${columnList(COLUMNS)}, created_at)
      select ${columnList(COLUMNS, 'd')}, ${now}::timestamptz
      from ${fromJsonRows(COLUMNS, rows)}
      order by d.organization_id, d.feature, d.period_start, d.threshold
      on conflict do nothing
      returning ${columnList(COLUMNS)}`,
    notify: `
      insert into notification_outbox (organization_id, id, kind, payload, created_at, next_attempt_at)
      select organization_id, 'ntf_' || replace(gen_random_uuid()::text, '-', ''), 'usage.threshold_crossed',
        jsonb_build_object('feature', feature, 'threshold', threshold, 'used', used::text, 'limit', "limit"::text,
          'period_start', period_start, 'period_end', period_end),
        ${now}::timestamptz, ${now}::timestamptz
      from fired`,
  };
}

/** The rows of the alert statements (`alertTexts`). */
export function alertRows(crossings: readonly AlertCrossing[]): string {
  return jsonRows(
    COLUMNS,
    crossings.map((crossing) => ({
      organization_id: crossing.organizationId,
      feature: crossing.feature,
      period_start: crossing.periodStart.toISOString(),
      threshold: crossing.threshold,
      period_end: crossing.periodEnd.toISOString(),
      used: decimalText(crossing.used),
      limit: decimalText(crossing.limit),
    })),
  );
}

/** Stores crossed thresholds and queues their notifications in one statement; returns how many were new. */
export async function recordAlerts(tx: DbOrTx, crossings: AlertCrossing[], now: Date): Promise<number> {
  if (crossings.length === 0) return 0;
  const { fired, notify } = alertTexts('$1', '$2');
  const rows = await queryRows<{ id: string }>(
    tx,
    fixedStatementSql(`with fired as (${fired}) ${notify} returning id`, [
      alertRows(crossings),
      now.toISOString(),
    ]),
  );
  return rows.length;
}

export type AlertRow = {
  feature: string;
  threshold: number;
  period_start: Date | string;
  period_end: Date | string;
  used: string;
  limit: string;
  created_at: Date | string;
};

/** The organization's alerts, newest first. */
export function selectAlerts(db: DbOrTx, organizationId: string, limit: number): Promise<AlertRow[]> {
  return queryRows<AlertRow>(
    db,
    sql`select feature, threshold, period_start, period_end, used::text as used, "limit"::text as "limit", created_at
        from usage_alerts where organization_id = ${organizationId}
        order by created_at desc, threshold desc limit ${limit}`,
  );
}
