import { decimalText, toDecimal } from '@tollgate/core';
import type { PreparedStatement } from '../../db/client.js';
import type { StatementSession } from '../../db/statement-transaction.js';
import { conflict } from '../../errors.js';
import type { CheckInput } from '../check/check-feature.js';
import type { CheckAnswer } from '../check-answer.js';

type Answer = CheckAnswer | Error;

/** What a key was first used for, and the answer it got. */
type KeyRecord = { feature: string; quantity: string; answer: () => Answer | undefined };

export type ConsumeKeys = {
  /** Items answered without consuming: keys seen before (their first answer) or reused for another request. */
  replays: Map<number, Answer>;
  /** Items to decide: no key, or the first use of their key. */
  active: number[];
  /**
   * Once the active items are answered: the answers of every item (later items of the batch with
   * an active item's key get its answer) and the answers to store under their keys.
   */
  settle(answers: ReadonlyArray<Answer | undefined>): {
    answers: Answer[];
    toStore: StoredAnswer[];
  };
};

/** An idempotency key's identity: keys are per organization. */
const keyIdentity = (organizationId: string, idempotencyKey: string | undefined) =>
  `${organizationId}\u0000${idempotencyKey}`;
/** The identity of a consume's idempotency key, as stored rows are matched to it. */
export const consumeKeyOf = (input: CheckInput) => keyIdentity(input.organizationId, input.idempotencyKey);
const rowKeyOf = (row: { organization_id: string; idempotency_key: string }) =>
  keyIdentity(row.organization_id, row.idempotency_key);

const reused = () =>
  conflict('idempotency_key_reused', 'this idempotency_key was used with another feature or quantity');

/**
 * Claims the idempotency keys of a batch of consumes in one statement. A key another request
 * already claimed answers with that request's stored answer (the claim waited for it to commit);
 * a key used twice in the batch is decided once, by its first item.
 */
export async function claimConsumeKeys(
  session: StatementSession,
  inputs: readonly CheckInput[],
  nows: readonly Date[],
): Promise<ConsumeKeys> {
  const replays = new Map<number, Answer>();
  const active: number[] = [];
  const firstByKey = new Map<string, number>();
  const repeats: number[] = [];
  inputs.forEach((input, index) => {
    if (input.idempotencyKey === undefined) active.push(index);
    else if (firstByKey.has(consumeKeyOf(input))) repeats.push(index);
    else firstByKey.set(consumeKeyOf(input), index);
  });
  const records = new Map<string, KeyRecord>();
  let answers: ReadonlyArray<Answer | undefined> = [];
  if (firstByKey.size > 0) {
    const firsts = [...firstByKey.values()];
    const claimInput = firsts.map((index) => {
      const input = inputs[index] as CheckInput;
      return {
        o: input.organizationId,
        k: input.idempotencyKey,
        f: input.feature,
        q: decimalText(input.quantity),
        t: (nows[index] as Date).toISOString(),
      };
    });
    const claimed = await session.run<{ organization_id: string; idempotency_key: string }>(CLAIM_KEYS, [
      JSON.stringify(claimInput),
    ]);
    const claimedKeys = new Set(claimed.map(rowKeyOf));
    const priors = await loadPriorAnswers(
      session,
      firsts
        .map((index) => inputs[index] as CheckInput)
        .filter((input) => !claimedKeys.has(consumeKeyOf(input))),
    );
    for (const index of firsts) {
      const input = inputs[index] as CheckInput;
      const key = consumeKeyOf(input);
      const prior = priors.get(key);
      if (claimedKeys.has(key)) {
        active.push(index);
        records.set(key, {
          feature: input.feature,
          quantity: decimalText(input.quantity),
          answer: () => answers[index],
        });
      } else if (prior) {
        records.set(key, { feature: prior.feature, quantity: prior.quantity, answer: () => prior.answer });
        replays.set(index, replayOf(records.get(key) as KeyRecord, input));
      } else throw new Error('idempotent consume has no stored answer');
    }
    for (const index of repeats) {
      const input = inputs[index] as CheckInput;
      const record = records.get(consumeKeyOf(input)) as KeyRecord;
      if (replays.has(firstByKey.get(consumeKeyOf(input)) as number))
        replays.set(index, replayOf(record, input));
    }
  }
  active.sort((a, b) => a - b);
  return {
    replays,
    active,
    settle(activeAnswers) {
      answers = activeAnswers;
      const all = inputs.map((input, index): Answer => {
        const answer =
          activeAnswers[index] ??
          replays.get(index) ??
          replayOf(records.get(consumeKeyOf(input)) as KeyRecord, input);
        if (answer === undefined) throw new Error(`consume ${index} has no answer`);
        return answer;
      });
      const toStore = [...firstByKey.values()]
        .filter((index) => activeAnswers[index] !== undefined && !(activeAnswers[index] instanceof Error))
        .map((index) => ({
          input: inputs[index] as CheckInput,
          now: nows[index] as Date,
          answer: activeAnswers[index] as CheckAnswer,
        }));
      return { answers: all, toStore };
    },
  };
}

function replayOf(record: KeyRecord, input: CheckInput): Answer {
  if (record.feature !== input.feature || !toDecimal(record.quantity).eq(input.quantity)) return reused();
  const answer = record.answer();
  if (answer === undefined) throw new Error('idempotent consume replayed before it was answered');
  return answer;
}

/** Claims keys not seen before; a key another transaction holds waits for it to commit. */
const CLAIM_KEYS: PreparedStatement = {
  name: 'tollgate_claim_consume_keys_v1',
  text: `insert into usage_consumptions (organization_id, idempotency_key, feature, quantity, created_at)
    select d.o, d.k, d.f, d.q, d.t
    from json_to_recordset($1::json) as d(o text, k text, f text, q numeric, t timestamptz)
    order by d.o collate "C", d.k collate "C"
    on conflict do nothing
    returning organization_id, idempotency_key`,
};

const LOAD_PRIOR_ANSWERS: PreparedStatement = {
  name: 'tollgate_load_consume_answers_v1',
  text: `select c.organization_id, c.idempotency_key, c.feature, c.quantity::text as quantity, c.response
    from json_to_recordset($1::json) as d(o text, k text)
    cross join lateral (
      select * from usage_consumptions where organization_id = d.o and idempotency_key = d.k offset 0
    ) c`,
};

async function loadPriorAnswers(
  session: StatementSession,
  inputs: readonly CheckInput[],
): Promise<Map<string, { feature: string; quantity: string; answer: Answer }>> {
  const priors = new Map<string, { feature: string; quantity: string; answer: Answer }>();
  if (inputs.length === 0) return priors;
  const input = inputs.map((item) => ({ o: item.organizationId, k: item.idempotencyKey }));
  const rows = await session.run<{
    organization_id: string;
    idempotency_key: string;
    feature: string;
    quantity: string;
    response: CheckAnswer | string | null;
  }>(LOAD_PRIOR_ANSWERS, [JSON.stringify(input)]);
  for (const row of rows) {
    // The first request has committed (the claim waited for it), so its answer is stored.
    if (row.response === null) throw new Error('idempotent consume has no stored answer');
    const answer =
      typeof row.response === 'string' ? (JSON.parse(row.response) as CheckAnswer) : row.response;
    priors.set(rowKeyOf(row), {
      feature: row.feature,
      quantity: row.quantity,
      answer,
    });
  }
  return priors;
}

export type StoredAnswer = {
  input: CheckInput;
  now: Date;
  answer: CheckAnswer;
};

/** The rows of `consumeAnswersText`. */
export function consumeAnswerRows(entries: readonly StoredAnswer[]): string {
  const input = entries.map((entry) => ({
    o: entry.input.organizationId,
    k: entry.input.idempotencyKey,
    f: entry.input.feature,
    q: decimalText(entry.input.quantity),
    t: entry.now.toISOString(),
    r: entry.answer,
  }));
  return JSON.stringify(input);
}

/**
 * Stores each first answer (`consumeAnswerRows`, from the json parameter `rows`) under its claimed
 * key, for the requests that repeat it later: a statement for a WITH clause, an upsert so each row
 * is found through its primary key.
 */
export function consumeAnswersText(rows: string): string {
  return `insert into usage_consumptions as c (organization_id, idempotency_key, feature, quantity, created_at, response)
    select d.o, d.k, d.f, d.q, d.t, d.r
    from json_to_recordset(${rows}::json)
      as d(o text, k text, f text, q numeric, t timestamptz, r jsonb)
    on conflict (organization_id, idempotency_key) do update set response = excluded.response`;
}

/**
 * For a WITH clause: claims keys not seen before together with their answers (`consumeAnswerRows`,
 * from the json parameter `rows`), one row per key claimed. A key already stored gives no row; a key
 * another transaction is claiming waits for it to end.
 */
export function claimWithAnswersText(rows: string): string {
  return `insert into usage_consumptions (organization_id, idempotency_key, feature, quantity, created_at, response)
    select d.o, d.k, d.f, d.q, d.t, d.r
    from json_to_recordset(${rows}::json)
      as d(o text, k text, f text, q numeric, t timestamptz, r jsonb)
    order by d.o collate "C", d.k collate "C"
    on conflict do nothing
    returning 1`;
}
