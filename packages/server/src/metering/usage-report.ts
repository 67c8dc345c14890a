import { ALL_TIME, billingPeriodAt, type Catalog, toDecimal, usageLine } from '@tollgate/core';
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/transaction.js';
import { notFound } from '../errors.js';
import { countMembers } from '../members/service.js';
import { loadBillingContexts } from './billing-contexts.js';
import { jsonNumber } from './check-answer.js';
import { ORGANIZATION_TOTAL } from './counters.js';
import { queryRows } from './query-rows.js';

/** The organization's usage in its current period, read from counters only (one indexed query). */
export async function usageReport(db: DbOrTx, catalog: Catalog, organizationId: string, now: Date) {
  const context = (await loadBillingContexts(db, [organizationId], catalog.defaultPlanCode)).get(
    organizationId,
  );
  if (!context) throw notFound('organization', organizationId);
  const period = billingPeriodAt(context, now);
  const rows = await queryRows<{
    feature: string;
    project_id: string;
    period_start: Date | string;
    used: string;
  }>(
    db,
    sql`select feature, project_id, period_start, used::text as used from usage_counters
        where organization_id = ${organizationId}
          and period_start in (${period.start.toISOString()}::timestamptz, ${ALL_TIME.start.toISOString()}::timestamptz)`,
  );
  const features = Object.entries(catalog.definition.features).filter(
    ([, feature]) => feature.kind !== 'boolean',
  );
  const expectedStart = (code: string) =>
    (catalog.feature(code)?.reset === 'never' ? ALL_TIME.start : period.start).getTime();
  const current = rows.filter((row) => new Date(row.period_start).getTime() === expectedStart(row.feature));
  const seats = features.some(([, feature]) => feature.kind === 'seats')
    ? await countMembers(db, organizationId)
    : 0;
  const totals = new Map(
    current.filter((row) => row.project_id === ORGANIZATION_TOTAL).map((row) => [row.feature, row.used]),
  );
  const projects = new Map<string, { feature: string; used: number }[]>();
  for (const row of current) {
    if (row.project_id === ORGANIZATION_TOTAL) continue;
    const list = projects.get(row.project_id) ?? [];
    list.push({ feature: row.feature, used: jsonNumber(toDecimal(row.used)) });
    projects.set(row.project_id, list);
  }
  return {
    organization_id: organizationId,
    plan: context.planCode,
    period: { start: period.start.toISOString(), end: period.end.toISOString() },
    features: features.map(([code, feature]) => {
      const used = feature.kind === 'seats' ? seats : (totals.get(code) ?? 0);
      const line = usageLine(catalog.planFeature(context.planCode, code), used);
      const decimalOrNull = (value: typeof line.limit) => (value === null ? null : jsonNumber(value));
      return {
        feature: code,
        used: jsonNumber(line.used),
        included:
          line.included === null || line.included === 'unlimited' ? line.included : jsonNumber(line.included),
        limit: decimalOrNull(line.limit),
        remaining: decimalOrNull(line.remaining),
        percent: decimalOrNull(line.percent),
        cap: line.cap,
        overage_quantity: jsonNumber(line.overage_quantity),
        overage_amount: line.overage_amount,
      };
    }),
    projects: [...projects.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([projectId, list]) => ({ project_id: projectId, features: list })),
  };
}
