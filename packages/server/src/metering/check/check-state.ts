import { type BillingContext, counterPeriodAt, type Decimal, toDecimal } from '@tollgate/core';
import type { DatabaseHandle, PreparedStatement } from '../../db/client.js';
import { fixedStatementSql } from '../../db/fixed-statements.js';
import { fromJsonRows, jsonRows } from '../../db/json-rows.js';
import { queryRows } from '../../db/query-rows.js';
import type { DbOrTx } from '../../db/transaction.js';
import {
  type BillingContextRow,
  type PlanResolver,
  SUBSCRIPTION_OF_ORGANIZATION,
  toContexts,
} from '../billing-contexts.js';
import { organizationCounterAt } from '../tables/usage-counters.js';

export type CheckStateRequest = {
  organizationId: string;
  feature: { code: string; reset: 'billing_period' | 'never' };
  now: Date;
};

/** What a check needs to know about the organization, whatever the feature. */
export type BillingState = { context: BillingContext; trialOrganization: boolean };
export type CheckState = BillingState & { used: Decimal };

type Row = BillingContextRow & {
  request_index: number;
  trial_organization: boolean;
  counter_period_start: Date | string | null;
  counter_used: string | null;
};

/**
 * Everything a check reads, for many checks in one round trip: each organization's subscription
 * and its counters for the feature whose period contains that check's `now`. The counter of the
 * period the subscription says is current is then picked; another (e.g. the calendar month left by
 * a plan change) is ignored. An organization that does not exist answers undefined. The lateral
 * subqueries (OFFSET 0 stops the planner from flattening them into a hash join over the whole
 * table) keep every lookup on its primary key whatever the planner guesses about the batch's size.
 */
export async function loadCheckStates(
  db: DbOrTx,
  requests: readonly CheckStateRequest[],
  plans: PlanResolver,
): Promise<Array<CheckState | undefined>> {
  const rows = await queryRows<Row>(db, fixedStatementSql(CHECK_STATE.text, [checkStateParameter(requests)]));
  return toCheckStates(requests, rows, plans);
}

/** The same read as a prepared statement: the hot path of every check (check-service.ts). */
export async function loadCheckStatesPrepared(
  database: Pick<DatabaseHandle, 'queryPrepared'>,
  requests: readonly CheckStateRequest[],
  plans: PlanResolver,
): Promise<Array<CheckState | undefined>> {
  const rows = await database.queryPrepared<Row>(CHECK_STATE, [checkStateParameter(requests)]);
  return toCheckStates(requests, rows, plans);
}

/** One check's question, as the JSON rows of the read's parameter. */
const REQUEST_COLUMNS = {
  request_index: 'integer',
  organization_id: 'text',
  feature: 'text',
  at: 'timestamptz',
} as const;

const CHECK_STATE: PreparedStatement = {
  name: 'tollgate_check_state_v3',
  text: `select r.request_index, o.id as organization_id, o.trial_organization,
           s.plan_code, s.interval, s.status, s.source, s.current_period_start, s.current_period_end, s.billing_cycle_anchor, s.catalog_hash,
           c.period_start as counter_period_start, c.used::text as counter_used
    from ${fromJsonRows(REQUEST_COLUMNS, '$1', 'r')}
    cross join lateral (select id, trial_organization from organizations where id = r.organization_id offset 0) o
    ${SUBSCRIPTION_OF_ORGANIZATION}
    ${organizationCounterAt('r.feature', 'r.at')}`,
};

const checkStateParameter = (requests: readonly CheckStateRequest[]) =>
  jsonRows(
    REQUEST_COLUMNS,
    requests.map((request, index) => ({
      request_index: index,
      organization_id: request.organizationId,
      feature: request.feature.code,
      at: request.now.toISOString(),
    })),
  );

function toCheckStates(
  requests: readonly CheckStateRequest[],
  rows: readonly Row[],
  plans: PlanResolver,
): Array<CheckState | undefined> {
  const rowsByRequest = new Map<number, Row[]>();
  for (const row of rows) {
    const index = Number(row.request_index);
    const list = rowsByRequest.get(index);
    if (list) list.push(row);
    else rowsByRequest.set(index, [row]);
  }
  return requests.map((request, index) => {
    const requestRows = rowsByRequest.get(index);
    if (!requestRows) return undefined;
    const context = toContexts(requestRows, plans).get(request.organizationId);
    if (!context) return undefined;
    const periodStart = counterPeriodAt(request.feature.reset, context, request.now).start.getTime();
    const counter = requestRows.find(
      (row) =>
        row.counter_period_start !== null && new Date(row.counter_period_start).getTime() === periodStart,
    );
    return {
      context,
      used: toDecimal(counter?.counter_used ?? 0),
      trialOrganization: requestRows[0]?.trial_organization === true,
    };
  });
}
