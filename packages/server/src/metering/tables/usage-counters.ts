import { type Decimal, decimalText, toDecimal } from '@tollgate/core';
import type { PreparedStatement } from '../../db/client.js';
import type { StatementSession } from '../../db/statement-transaction.js';
import { type CounterKey, counterKey } from './usage-unique-values.js';

export type LockableCounter = CounterKey & { periodEnd: Date; aggregation: string };

type CounterUsageRow = {
  organization_id: string;
  feature: string;
  period_start: Date | string;
  project_id: string;
  used: string;
};

function usageByCounter(rows: readonly CounterUsageRow[]): Map<string, Decimal> {
  const used = new Map<string, Decimal>();
  for (const row of rows) {
    const key = counterKey({
      organizationId: row.organization_id,
      feature: row.feature,
      periodStart: new Date(row.period_start),
      projectId: row.project_id,
    });
    used.set(key, toDecimal(row.used));
  }
  return used;
}

/** `items` sorted by their counters' keys, each key built once rather than in every comparison. */
function inKeyOrder<T>(items: readonly T[], counterOf: (item: T) => CounterKey): T[] {
  return items
    .map((item) => ({ item, key: counterKey(counterOf(item)) }))
    .sort((a, b) => (a.key < b.key ? -1 : 1))
    .map((entry) => entry.item);
}

/**
 * Locks counters for the rest of the transaction and returns their usage, creating missing ones at
 * zero, in one statement. Rows go in key order, the order ingestion locks them in, so concurrent
 * batches queue instead of deadlocking. The no-op update is what takes the row lock on a conflict.
 */
export async function lockCounters(
  session: StatementSession,
  counters: readonly LockableCounter[],
  now: Date,
): Promise<Map<string, Decimal>> {
  if (counters.length === 0) return new Map();
  const input = inKeyOrder(counters, (counter) => counter).map((counter) => ({
    o: counter.organizationId,
    f: counter.feature,
    ps: counter.periodStart.toISOString(),
    p: counter.projectId,
    pe: counter.periodEnd.toISOString(),
    a: counter.aggregation,
  }));
  const rows = await session.run<CounterUsageRow>(LOCK_COUNTERS, [JSON.stringify(input), now.toISOString()]);
  return usageByCounter(rows);
}

/** Prepared: every consume batch runs it, on PostgreSQL planning it would cost as much as running it. */
const LOCK_COUNTERS: PreparedStatement = {
  name: 'tollgate_lock_counters_v1',
  text: `insert into usage_counters as c
      (organization_id, feature, period_start, project_id, period_end, aggregation, used, updated_at)
    select d.o, d.f, d.ps, d.p, d.pe, d.a, 0, $2::timestamptz
    from json_to_recordset($1::json)
      as d(o text, f text, ps timestamptz, p text, pe timestamptz, a text)
    on conflict (organization_id, feature, period_start, project_id) do update set used = c.used
    returning c.organization_id, c.feature, c.period_start, c.project_id, c.used::text as used`,
};

/** The current usage of counters, without locking them (for counters the caller will not move). */
export async function readCounters(
  session: StatementSession,
  counters: CounterKey[],
): Promise<Map<string, Decimal>> {
  if (counters.length === 0) return new Map();
  const input = counters.map((counter) => ({
    o: counter.organizationId,
    f: counter.feature,
    ps: counter.periodStart.toISOString(),
    p: counter.projectId,
  }));
  const rows = await session.run<CounterUsageRow>(READ_COUNTERS, [JSON.stringify(input)]);
  return usageByCounter(rows);
}

const READ_COUNTERS: PreparedStatement = {
  name: 'tollgate_read_counters_v1',
  text: `select c.organization_id, c.feature, c.period_start, c.project_id, c.used::text as used
    from json_to_recordset($1::json) as d(o text, f text, ps timestamptz, p text)
    cross join lateral (
      select * from usage_counters
      where organization_id = d.o and feature = d.f and period_start = d.ps and project_id = d.p
      offset 0
    ) c`,
};

export type CounterWrite = {
  counter: LockableCounter;
  value: Decimal;
  lastEventAt: Date;
};

/**
 * The rows of a counter write (`counterWriteText`), in key order so concurrent batches lock counters
 * in the same order.
 */
export function counterWriteRows(writes: readonly CounterWrite[]): string {
  const input = inKeyOrder(writes, (write) => write.counter).map((write) => ({
    o: write.counter.organizationId,
    f: write.counter.feature,
    ps: write.counter.periodStart.toISOString(),
    p: write.counter.projectId,
    pe: write.counter.periodEnd.toISOString(),
    a: write.counter.aggregation,
    u: decimalText(write.value),
    l: write.lastEventAt.toISOString(),
  }));
  return JSON.stringify(input);
}

/**
 * A statement writing counters, for a WITH clause, reading its rows (`counterWriteRows`) from the
 * json parameter `rows` and its time from the timestamptz parameter `now`: `set` makes each
 * counter's usage `value` (the caller holds its lock), `add` adds `value` to it; missing counters
 * are created. It is an upsert rather than UPDATE … FROM so that each row is found through the
 * primary key: the planner would otherwise hash-join the whole (and, under constant updates,
 * bloated) counter table.
 */
export function counterWriteText(mode: 'set' | 'add', rows: string, now: string): string {
  const used = mode === 'set' ? 'excluded.used' : 'c.used + excluded.used';
  return `insert into usage_counters as c
      (organization_id, feature, period_start, project_id, period_end, aggregation, used, last_event_at, updated_at)
    select d.o, d.f, d.ps, d.p, d.pe, d.a, d.u, d.l, ${now}::timestamptz
    from json_to_recordset(${rows}::json)
      as d(o text, f text, ps timestamptz, p text, pe timestamptz, a text, u numeric, l timestamptz)
    on conflict (organization_id, feature, period_start, project_id) do update
      set used = ${used}, last_event_at = greatest(c.last_event_at, excluded.last_event_at),
          updated_at = excluded.updated_at`;
}

/**
 * The rows of `verifyUsageText`: organization counters with the usage a decision read from them, in
 * key order, the order every transaction locks counters in.
 */
export function expectedUsageRows(
  counters: ReadonlyArray<{ counter: LockableCounter; used: Decimal }>,
): string {
  const input = inKeyOrder(counters, (entry) => entry.counter).map((entry) => ({
    o: entry.counter.organizationId,
    f: entry.counter.feature,
    ps: entry.counter.periodStart.toISOString(),
    p: entry.counter.projectId,
    e: decimalText(entry.used),
  }));
  return JSON.stringify(input);
}

/**
 * For a WITH clause: locks each counter of the json parameter `rows` (`expectedUsageRows`) that still
 * holds the usage expected of it, one row per such counter. A counter that moved, or is missing, gives
 * no row. Under READ COMMITTED, FOR UPDATE waits for a concurrent writer and then tests the newest
 * version, so a row given here holds that usage until the transaction ends.
 */
export function verifyUsageText(rows: string): string {
  return `select d.o from json_to_recordset(${rows}::json) as d(o text, f text, ps timestamptz, p text, e numeric)
    cross join lateral (
      select 1 from usage_counters c
      where c.organization_id = d.o and c.feature = d.f and c.period_start = d.ps and c.project_id = d.p
        and c.used = d.e
      for update
    ) c`;
}
