import { stableJson } from '@tollgate/core';
import { and, eq } from 'drizzle-orm';
import { creditOperations } from '../db/schema/index.js';
import type { DbOrTx } from '../db/transaction.js';
import { AppError } from '../errors.js';

type OperationKind = (typeof creditOperations.$inferSelect)['kind'];

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
): Promise<Response | undefined> {
  const [row] = await tx
    .select({ request: creditOperations.request, response: creditOperations.response })
    .from(creditOperations)
    .where(
      and(
        eq(creditOperations.organizationId, organizationId),
        eq(creditOperations.kind, kind),
        eq(creditOperations.idempotencyKey, idempotencyKey),
      ),
    );
  if (!row) return undefined;
  if (stableJson(row.request) !== stableJson(request)) {
    throw new AppError(
      'idempotency_key_reused',
      409,
      `idempotency_key "${idempotencyKey}" was already used for a different ${kind} request`,
    );
  }
  return row.response as Response;
}

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
  await tx.insert(creditOperations).values(row);
}
