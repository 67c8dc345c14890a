import { randomUUID } from 'node:crypto';
import { type Decimal, decimalText, type LotMovement } from '@tollgate/core';
import { sql } from 'drizzle-orm';
import { namedStatement, valuesOf } from '../db/named-statement.js';
import type { CreditEntryKind } from '../db/schema/index.js';
import { writeLater } from '../db/statement-transaction.js';
import type { DbOrTx } from '../db/transaction.js';
import { type Wallet, walletKey } from './wallet.js';

export const newId = (prefix: string) => `${prefix}_${randomUUID().replaceAll('-', '')}`;

/** What every journal entry of one operation shares. */
export type EntryContext = {
  operationId: string;
  actor: string;
  occurredAt: Date;
  eventName?: string | null;
  projectId?: string | null;
  userId?: string | null;
  counterparty?: string | null;
  note?: string | null;
};

/** Also record the operation's answer in the same statement (the key was claimed earlier). */
export type RecordAnswer = { kind: 'consume'; idempotencyKey: string; response: unknown };

/**
 * Takes credits out of lots and journals each movement as a negative entry, in one statement (one
 * round trip while the wallet's lots are locked). The lots were locked by the caller; the table's
 * check constraint refuses a lot going below zero all the same.
 */
export function takeCredits(
  tx: DbOrTx,
  wallet: Wallet,
  movements: readonly LotMovement[],
  kind: Extract<CreditEntryKind, 'debit' | 'expiry' | 'transfer_out' | 'adjustment'>,
  context: EntryContext,
  answer?: RecordAnswer,
): Promise<void> {
  return moveCredits(tx, wallet, movements, -1, kind, context, answer);
}

/**
 * Puts credits back into the lots they were taken from (a refunded consume), journaled as positive
 * entries. The check constraint refuses a lot going above what it was granted.
 */
export function returnCredits(
  tx: DbOrTx,
  wallet: Wallet,
  movements: readonly LotMovement[],
  context: EntryContext,
): Promise<void> {
  return moveCredits(tx, wallet, movements, 1, 'refund', context);
}

async function moveCredits(
  tx: DbOrTx,
  wallet: Wallet,
  movements: readonly LotMovement[],
  sign: 1 | -1,
  kind: CreditEntryKind,
  context: EntryContext,
  answer?: RecordAnswer,
): Promise<void> {
  if (movements.length === 0) return;
  const moves = sql.join(
    movements.map(
      (movement, index) =>
        sql`(${index}::int, ${movement.lot_id}::text, ${decimalText(movement.amount.times(sign))}::numeric)`,
    ),
    sql`, `,
  );
  const organizationId = wallet.organizationId;
  const recorded = answer
    ? sql`, recorded as (
        update credit_operations set response = ${JSON.stringify(answer.response)}::jsonb, id = ${context.operationId}
        where organization_id = ${organizationId} and kind = ${answer.kind}
          and idempotency_key = ${answer.idempotencyKey}
        returning 1)`
    : sql``;
  const result = await tx.execute<{ moved: number }>(sql`
    with moves(ordinal, lot_id, amount) as (values ${moves}),
    moved as (
      update credit_lots as lot set remaining = lot.remaining + moves.amount
      from moves where lot.organization_id = ${organizationId} and lot.id = moves.lot_id
      returning lot.id),
    entries as (
      insert into credit_journal (organization_id, wallet_user_id, lot_id, kind, amount, operation_id,
        event_name, project_id, user_id, counterparty, note, actor, occurred_at)
      select ${organizationId}, ${walletKey(wallet)}, moves.lot_id, ${kind}, moves.amount, ${context.operationId},
        ${context.eventName ?? null}, ${context.projectId ?? null}, ${context.userId ?? null},
        ${context.counterparty ?? null}, ${context.note ?? null}, ${context.actor},
        ${context.occurredAt.toISOString()}::timestamptz
      from moves order by moves.ordinal
      returning 1)${recorded}
    select (select count(*) from moved)::int as moved`);
  const moved = Number(rowsOf<{ moved: number }>(result)[0]?.moved ?? 0);
  if (moved !== movements.length) {
    throw new Error(
      `moved credits in ${moved} of ${movements.length} lots: the ledger changed under its lock`,
    );
  }
}

/** node-postgres returns a result with rows; PGlite's drizzle driver too, under the same name. */
function rowsOf<Row>(result: unknown): Row[] {
  return ((result as { rows?: Row[] }).rows ?? []) as Row[];
}

const ADD_LOT = namedStatement(
  'credit_lot_add',
  [
    'organizationId',
    'lotId',
    'walletUserId',
    'source',
    'amount',
    'expiresAt',
    'grantedAt',
    'priority',
    'kind',
    'operationId',
    'eventName',
    'projectId',
    'userId',
    'counterparty',
    'note',
    'actor',
    'occurredAt',
  ],
  (p) => `with lot as (
      insert into credit_lots (organization_id, id, wallet_user_id, source, amount, remaining, expires_at,
        granted_at, priority, operation_id)
      values (${p.organizationId}, ${p.lotId}, ${p.walletUserId}, ${p.source}, ${p.amount}::numeric,
        ${p.amount}::numeric, ${p.expiresAt}::timestamptz, ${p.grantedAt}::timestamptz, ${p.priority}::int,
        ${p.operationId})
      returning id)
    insert into credit_journal (organization_id, wallet_user_id, lot_id, kind, amount, operation_id,
      event_name, project_id, user_id, counterparty, note, actor, occurred_at)
    select ${p.organizationId}, ${p.walletUserId}, lot.id, ${p.kind}, ${p.amount}::numeric, ${p.operationId},
      ${p.eventName}, ${p.projectId}, ${p.userId}, ${p.counterparty}, ${p.note}, ${p.actor},
      ${p.occurredAt}::timestamptz
    from lot`,
);

/**
 * Creates a lot holding `amount` and journals it as a positive entry, in one statement that nothing
 * reads the answer of (`writeLater`: it may travel with the transaction's next statement). Returns
 * the lot id, chosen here.
 */
export async function addLot(
  tx: DbOrTx,
  wallet: Wallet,
  lot: {
    source: 'purchased' | 'subscription' | 'promotional' | 'transfer';
    amount: Decimal;
    expiresAt: Date | null;
    grantedAt: Date;
    priority?: number;
  },
  kind: Extract<CreditEntryKind, 'grant' | 'transfer_in' | 'refund'>,
  context: EntryContext,
): Promise<string> {
  const lotId = newId('lot');
  await writeLater(
    tx,
    ADD_LOT,
    valuesOf(ADD_LOT, {
      organizationId: wallet.organizationId,
      lotId,
      walletUserId: walletKey(wallet),
      source: lot.source,
      amount: decimalText(lot.amount),
      expiresAt: lot.expiresAt?.toISOString() ?? null,
      grantedAt: lot.grantedAt.toISOString(),
      priority: String(lot.priority ?? 0),
      kind,
      operationId: context.operationId,
      eventName: context.eventName ?? null,
      projectId: context.projectId ?? null,
      userId: context.userId ?? null,
      counterparty: context.counterparty ?? null,
      note: context.note ?? null,
      actor: context.actor,
      occurredAt: context.occurredAt.toISOString(),
    }),
  );
  return lotId;
}
