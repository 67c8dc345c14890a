import { stableJson } from '@tollgate/core';
import { and, eq } from 'drizzle-orm';
import { queryPreparedIn } from '../db/fixed-statements.js';
import { namedStatement, valuesOf } from '../db/named-statement.js';
import { creditOperations } from '../db/schema/index.js';
import { writeLater } from '../db/statement-transaction.js';
import type { DbOrTx } from '../db/transaction.js';
import { AppError } from '../errors.js';

type OperationKind = (typeof creditOperations.$inferSelect)['kind'];

const FIND_OPERATION = namedStatement(
  'credit_operation_find',
  ['organizationId', 'kind', 'idempotencyKey'],
  (p) => `select request, response from credit_operations
    where organization_id = ${p.organizationId} and kind = ${p.kind} and idempotency_key = ${p.idempotencyKey}`,
);

// One index probe per wanted key (the LIMIT keeps the lateral subquery from being flattened into a
// join): the planner guesses 100 rows for json_to_recordset, and for a join of that size preferred
// reading the whole table, which a webhook's one or two keys paid for on every paid invoice (8 ms and
// more at 20,000 operations, bench/webhooks.mjs).
const STORED_OPERATION_KEYS = namedStatement(
  'credit_operation_stored_keys',
  ['wanted', 'kind'],
  (p) => `select operation.organization_id, operation.idempotency_key
    from json_to_recordset(${p.wanted}::json) as wanted(o text, k text)
    cross join lateral (
      select stored.organization_id, stored.idempotency_key from credit_operations stored
      where stored.organization_id = wanted.o and stored.kind = ${p.kind} and stored.idempotency_key = wanted.k
      limit 1) as operation`,
);

/**
 * The stored answer for this key, or undefined. Call it after taking the wallet lock, so a concurrent
 * request with the same key is seen once it has committed. A key reused for a different request is a fault.
 */
export async function findOperation<Response>(
  tx: DbOrTx,
  organizationId: string,
  kind: OperationKind,
  idempotencyKey: string,
  request: unknown,
  options: { compareRequest: boolean } = { compareRequest: true },
): Promise<Response | undefined> {
  const [row] = await queryPreparedIn<{ request: unknown; response: unknown }>(tx, FIND_OPERATION, [
    organizationId,
    kind,
    idempotencyKey,
  ]);
  if (!row) return undefined;
  if (options.compareRequest && stableJson(row.request) !== stableJson(request)) {
    throw new AppError(
      'idempotency_key_reused',
      409,
      `idempotency_key "${idempotencyKey}" was already used for a different ${kind} request`,
    );
  }
  return row.response as Response;
}

/** How `storedOperationKeys` names a stored key: keys are per organization. */
export const operationKeyOf = (organizationId: string, idempotencyKey: string) =>
  `${organizationId}\n${idempotencyKey}`;

/**
 * Which of these keys of one kind are already stored, named by `operationKeyOf`: one query for many
 * keys, for jobs that would otherwise look each one up in a transaction of its own. Requests are not
 * compared; the caller skips what is stored, as a replay would answer it.
 */
export async function storedOperationKeys(
  db: DbOrTx,
  kind: OperationKind,
  keys: ReadonlyArray<{ organizationId: string; idempotencyKey: string }>,
): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const wanted = JSON.stringify(keys.map((key) => ({ o: key.organizationId, k: key.idempotencyKey })));
  const rows = await queryPreparedIn<{ organization_id: string; idempotency_key: string }>(
    db,
    STORED_OPERATION_KEYS,
    [wanted, kind],
  );
  return new Set(rows.map((row) => operationKeyOf(row.organization_id, row.idempotency_key)));
}

const STORE_OPERATION = namedStatement(
  'credit_operation_store',
  ['organizationId', 'kind', 'idempotencyKey', 'id', 'request', 'response', 'createdAt'],
  (
    p,
  ) => `insert into credit_operations (organization_id, kind, idempotency_key, id, request, response, created_at)
    values (${p.organizationId}, ${p.kind}, ${p.idempotencyKey}, ${p.id}, ${p.request}::jsonb, ${p.response}::jsonb,
            ${p.createdAt}::timestamptz)`,
);

/**
 * Stores an operation's answer under its key. Nothing reads the insert's answer, so it may travel
 * with the transaction's next statement (`writeLater`); a key stored meanwhile fails the transaction.
 */
export async function storeOperation(
  tx: DbOrTx,
  row: {
    organizationId: string;
    kind: OperationKind;
    idempotencyKey: string;
    id: string;
    request: unknown;
    response: unknown;
    createdAt: Date;
  },
): Promise<void> {
  await writeLater(
    tx,
    STORE_OPERATION,
    valuesOf(STORE_OPERATION, {
      organizationId: row.organizationId,
      kind: row.kind,
      idempotencyKey: row.idempotencyKey,
      id: row.id,
      request: JSON.stringify(row.request),
      response: JSON.stringify(row.response),
      createdAt: row.createdAt.toISOString(),
    }),
  );
}

/**
 * Claims an idempotency key before any lock is taken: the insert waits for a concurrent holder of the
 * same key to finish, then either claims it or finds that holder's stored answer. The claimed row gets
 * its answer later in the transaction, or is released when nothing was done.
 */
export async function claimOperation<Response>(
  tx: DbOrTx,
  claim: {
    organizationId: string;
    kind: OperationKind;
    idempotencyKey: string;
    request: unknown;
    createdAt: Date;
  },
): Promise<{ claimed: true } | { claimed: false; response: Response }> {
  const inserted = await tx
    .insert(creditOperations)
    .values({ ...claim, id: '', response: {} })
    .onConflictDoNothing()
    .returning({ kind: creditOperations.kind });
  if (inserted.length > 0) return { claimed: true };
  const response = await findOperation<Response>(
    tx,
    claim.organizationId,
    claim.kind,
    claim.idempotencyKey,
    claim.request,
  );
  if (response === undefined) throw new Error('idempotency key neither claimed nor answered');
  return { claimed: false, response };
}

/** Gives a claimed key back, for an answer that is not kept (a refusal writes nothing). */
export async function releaseOperation(
  tx: DbOrTx,
  claim: { organizationId: string; kind: OperationKind; idempotencyKey: string },
): Promise<void> {
  await tx
    .delete(creditOperations)
    .where(
      and(
        eq(creditOperations.organizationId, claim.organizationId),
        eq(creditOperations.kind, claim.kind),
        eq(creditOperations.idempotencyKey, claim.idempotencyKey),
      ),
    );
}

/** Stores the answer of a claimed key (the claim holds a placeholder until then). */
export async function answerOperation(
  tx: DbOrTx,
  claim: { organizationId: string; kind: OperationKind; idempotencyKey: string },
  answer: { id: string; response: unknown },
): Promise<void> {
  await tx
    .update(creditOperations)
    .set(answer)
    .where(
      and(
        eq(creditOperations.organizationId, claim.organizationId),
        eq(creditOperations.kind, claim.kind),
        eq(creditOperations.idempotencyKey, claim.idempotencyKey),
      ),
    );
}
