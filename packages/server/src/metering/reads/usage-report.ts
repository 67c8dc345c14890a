import { billingPeriodAt, type Catalog, counterPeriodAt, toDecimal, usageLine } from '@tollgate/core';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../db/query-rows.js';
import type { DbOrTx } from '../../db/transaction.js';
import { notFound } from '../../errors.js';
import { type BillingContextRow, subscriptionOfOrganization, toContexts } from '../billing-contexts.js';
import { jsonNumber } from '../check-answer.js';
import { countersAt, ORGANIZATION_TOTAL, type ReportedCounter } from '../tables/usage-counters.js';

type ReportRow = BillingContextRow & {
  members: number | string;
  counters: ReportedCounter[] | string | null;
};

/**
 * The organization's usage in its current period, from counters only, in one round trip: the
 * subscription, the member count (seats) and every counter whose period contains now. The counters
 * of the period the subscription says is current are then kept.
 */
export async function usageReport(
  db: DbOrTx,
  catalog: Catalog,
  organizationId: string,
  now: Date,
  options: { projectId?: string | undefined } = {},
) {
  const [row] = await queryRows<ReportRow>(
    db,
    sql`select o.id as organization_id, s.plan_code, s.interval, s.status, s.source,
               s.current_period_start, s.current_period_end, s.billing_cycle_anchor, s.catalog_hash,
               (select count(*) from organization_members m where m.organization_id = o.id) as members,
               ${countersAt(now)} as counters
        from organizations o
        ${subscriptionOfOrganization}
        where o.id = ${organizationId}`,
  );
  const context = row && toContexts([row], catalog).get(organizationId);
  if (!row || !context) throw notFound('organization', organizationId);
  const period = billingPeriodAt(context, now);
  const rows: ReportedCounter[] =
    typeof row.counters === 'string' ? JSON.parse(row.counters) : (row.counters ?? []);
  const features = Object.entries(catalog.definition.features).filter(
    ([, feature]) => feature.kind !== 'boolean',
  );
  // Each counter's period by the rule checks and consumes use (core counterPeriodAt).
  const expectedStart = (code: string) =>
    counterPeriodAt(catalog.feature(code)?.reset ?? 'billing_period', context, now).start.getTime();
  const { projectId } = options;
  // For one project, its counters stand in for the organization's totals (limits stay the organization's).
  const current = rows.filter(
    (row) =>
      new Date(row.period_start).getTime() === expectedStart(row.feature) &&
      (projectId === undefined || row.project_id === projectId),
  );
  const totalOf = projectId ?? ORGANIZATION_TOTAL;
  const seats = Number(row.members);
  const totals = new Map(
    current.filter((row) => row.project_id === totalOf).map((row) => [row.feature, row.used]),
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
    // The plan's own code, also for a subscriber kept on an earlier version of it.
    plan: catalog.plan(context.planCode)?.code ?? context.planCode,
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
