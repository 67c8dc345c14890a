import { type Decimal, decimalText } from '@tollgate/core';
import { fixedStatementSql } from '../../db/fixed-statements.js';
import { queryRows } from '../../db/query-rows.js';
import type { DbOrTx } from '../../db/transaction.js';

export type AlertCrossing = {
  organizationId: string;
  feature: string;
  periodStart: Date;
  periodEnd: Date;
  threshold: number;
  used: Decimal;
  limit: Decimal;
};

/** The rows of the alert statements (`alertTexts`). */
export function alertRows(crossings: readonly AlertCrossing[]): string {
  const input = crossings.map((crossing) => ({
    o: crossing.organizationId,
    f: crossing.feature,
    ps: crossing.periodStart.toISOString(),
    pe: crossing.periodEnd.toISOString(),
    t: crossing.threshold,
    u: decimalText(crossing.used),
    l: decimalText(crossing.limit),
  }));
  return JSON.stringify(input);
}

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
      insert into usage_alerts (organization_id, feature, period_start, threshold, period_end, used, "limit", created_at)
      select d.o, d.f, d.ps, d.t, d.pe, d.u, d.l, ${now}::timestamptz
      from json_to_recordset(${rows}::json)
        as d(o text, f text, ps timestamptz, pe timestamptz, t integer, u numeric, l numeric)
      order by d.o, d.f, d.ps, d.t
      on conflict do nothing
      returning organization_id, feature, period_start, period_end, threshold, used, "limit"`,
    notify: `
      insert into notification_outbox (organization_id, id, kind, payload, created_at, next_attempt_at)
      select organization_id, 'ntf_' || replace(gen_random_uuid()::text, '-', ''), 'usage.threshold_crossed',
        jsonb_build_object('feature', feature, 'threshold', threshold, 'used', used::text, 'limit', "limit"::text,
          'period_start', period_start, 'period_end', period_end),
        ${now}::timestamptz, ${now}::timestamptz
      from fired`,
  };
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
