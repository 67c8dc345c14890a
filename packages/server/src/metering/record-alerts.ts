import { type Decimal, decimalText } from '@tollgate/core';
import { type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/transaction.js';
import { queryRows } from './query-rows.js';

export type AlertCrossing = {
  organizationId: string;
  feature: string;
  periodStart: Date;
  periodEnd: Date;
  threshold: number;
  used: Decimal;
  limit: Decimal;
};

/**
 * The statements that store crossed thresholds and queue one notification per alert that is new:
 * `fired` inserts the alerts, `notify` queues a notification for each row `fired` returned. The
 * alert's primary key makes each threshold fire once per organization, feature and period even
 * when concurrent batches cross it together. Callers put them in one statement (WITH fired AS …).
 */
export function alertStatements(crossings: AlertCrossing[], now: Date): { fired: SQL; notify: SQL } {
  const input = crossings.map((crossing) => ({
    o: crossing.organizationId,
    f: crossing.feature,
    ps: crossing.periodStart.toISOString(),
    pe: crossing.periodEnd.toISOString(),
    t: crossing.threshold,
    u: decimalText(crossing.used),
    l: decimalText(crossing.limit),
  }));
  const at = now.toISOString();
  return {
    fired: sql`
      insert into usage_alerts (organization_id, feature, period_start, threshold, period_end, used, "limit", created_at)
      select d.o, d.f, d.ps, d.t, d.pe, d.u, d.l, ${at}::timestamptz
      from json_to_recordset(${JSON.stringify(input)}::json)
        as d(o text, f text, ps timestamptz, pe timestamptz, t integer, u numeric, l numeric)
      order by d.o, d.f, d.ps, d.t
      on conflict do nothing
      returning organization_id, feature, period_start, period_end, threshold, used, "limit"`,
    notify: sql`
      insert into notification_outbox (organization_id, id, kind, payload, created_at, next_attempt_at)
      select organization_id, 'ntf_' || replace(gen_random_uuid()::text, '-', ''), 'usage.threshold_crossed',
        jsonb_build_object('feature', feature, 'threshold', threshold, 'used', used::text, 'limit', "limit"::text,
          'period_start', period_start, 'period_end', period_end),
        ${at}::timestamptz, ${at}::timestamptz
      from fired`,
  };
}

/** Stores crossed thresholds and queues their notifications in one statement; returns how many were new. */
export async function recordAlerts(tx: DbOrTx, crossings: AlertCrossing[], now: Date): Promise<number> {
  if (crossings.length === 0) return 0;
  const { fired, notify } = alertStatements(crossings, now);
  const rows = await queryRows<{ id: string }>(tx, sql`with fired as (${fired}) ${notify} returning id`);
  return rows.length;
}
