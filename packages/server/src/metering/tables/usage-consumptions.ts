import type { PreparedStatement } from '../../db/client.js';
import { columnList, fromJsonRows, type JsonRow, jsonRows } from '../../db/json-rows.js';
import type { StatementSession } from '../../db/statement-transaction.js';

/**
 * `usage_consumptions`: the idempotency keys of consumes, per organization, with what each was first
 * used for and the answer it got, so a repeated request gets the same answer and consumes nothing.
 */

const KEY_COLUMNS = { organization_id: 'text', idempotency_key: 'text' } as const;
const CLAIM_COLUMNS = {
  ...KEY_COLUMNS,
  feature: 'text',
  quantity: 'numeric',
  created_at: 'timestamptz',
} as const;
const COLUMNS = { ...CLAIM_COLUMNS, response: 'jsonb' } as const;

/** A key being claimed: what it is used for, and when. */
export type ClaimRow = JsonRow<typeof CLAIM_COLUMNS>;
/** A claimed key with the answer its request got. */
export type ConsumptionRow = JsonRow<typeof COLUMNS>;
export type ConsumptionKey = { organization_id: string; idempotency_key: string };
export type StoredConsumption = ConsumptionKey & { feature: string; quantity: string; response: unknown };

/** Rows in key order, so concurrent claims of the same keys queue rather than deadlock. */
const IN_KEY_ORDER = 'order by d.organization_id collate "C", d.idempotency_key collate "C"';

/** Claims keys not seen before; a key another transaction holds waits for it to commit. */
const CLAIM_KEYS: PreparedStatement = {
  name: 'tollgate_claim_consume_keys_v1',
  text: `insert into usage_consumptions (${columnList(CLAIM_COLUMNS)})
    select ${columnList(CLAIM_COLUMNS, 'd')}
    from ${fromJsonRows(CLAIM_COLUMNS, '$1')}
    ${IN_KEY_ORDER}
    on conflict do nothing
    returning organization_id, idempotency_key`,
};

/** Claims the keys of `rows` not seen before; returns the keys claimed. */
export function claimKeys(session: StatementSession, rows: readonly ClaimRow[]): Promise<ConsumptionKey[]> {
  return session.run<ConsumptionKey>(CLAIM_KEYS, [jsonRows(CLAIM_COLUMNS, rows)]);
}

const LOAD_CONSUMPTIONS: PreparedStatement = {
  name: 'tollgate_load_consume_answers_v1',
  text: `select c.organization_id, c.idempotency_key, c.feature, c.quantity::text as quantity, c.response
    from ${fromJsonRows(KEY_COLUMNS, '$1')}
    cross join lateral (
      select * from usage_consumptions
      where organization_id = d.organization_id and idempotency_key = d.idempotency_key
      offset 0
    ) c`,
};

/** The stored keys among `keys`, with what each was first used for and its answer. */
export function loadConsumptions(
  session: StatementSession,
  keys: readonly ConsumptionKey[],
): Promise<StoredConsumption[]> {
  return session.run<StoredConsumption>(LOAD_CONSUMPTIONS, [jsonRows(KEY_COLUMNS, keys)]);
}

/** The rows of `storeAnswersText` and `claimWithAnswersText`. */
export const consumptionRows = (rows: readonly ConsumptionRow[]) => jsonRows(COLUMNS, rows);

/**
 * Stores each first answer (`consumptionRows`, from the json parameter `rows`) under its claimed
 * key, for the requests that repeat it later: a statement for a WITH clause, an upsert so each row
 * is found through its primary key.
 */
export function storeAnswersText(rows: string): string {
  return `insert into usage_consumptions as c (${columnList(COLUMNS)})
    select ${columnList(COLUMNS, 'd')}
    from ${fromJsonRows(COLUMNS, rows)}
    on conflict (organization_id, idempotency_key) do update set response = excluded.response`;
}

/**
 * For a WITH clause: claims keys not seen before together with their answers (`consumptionRows`,
 * from the json parameter `rows`), one row per key claimed. A key already stored gives no row; a key
 * another transaction is claiming waits for it to end.
 */
export function claimWithAnswersText(rows: string): string {
  return `insert into usage_consumptions (${columnList(COLUMNS)})
    select ${columnList(COLUMNS, 'd')}
    from ${fromJsonRows(COLUMNS, rows)}
    ${IN_KEY_ORDER}
    on conflict do nothing
    returning 1`;
}
