import { decimalText, toDecimal } from '@tollgate/core';
import type { StatementSession } from '../../db/statement-transaction.js';
import { conflict } from '../../errors.js';
import {
  type ConsumptionKey,
  claimKeys,
  consumptionRows,
  loadConsumptions,
} from '../tables/usage-consumptions.js';
import type { CheckAnswer, CheckInput } from '../types.js';

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
const rowKeyOf = (row: ConsumptionKey) => keyIdentity(row.organization_id, row.idempotency_key);

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
    const claimed = await claimKeys(
      session,
      firsts.map((index) => {
        const input = inputs[index] as CheckInput;
        return {
          organization_id: input.organizationId,
          idempotency_key: input.idempotencyKey,
          feature: input.feature,
          quantity: decimalText(input.quantity),
          created_at: (nows[index] as Date).toISOString(),
        };
      }),
    );
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

async function loadPriorAnswers(
  session: StatementSession,
  inputs: readonly CheckInput[],
): Promise<Map<string, { feature: string; quantity: string; answer: Answer }>> {
  const priors = new Map<string, { feature: string; quantity: string; answer: Answer }>();
  if (inputs.length === 0) return priors;
  const rows = await loadConsumptions(
    session,
    inputs.map((item) => ({
      organization_id: item.organizationId,
      idempotency_key: item.idempotencyKey as string,
    })),
  );
  for (const row of rows) {
    // The first request has committed (the claim waited for it), so its answer is stored.
    if (row.response === null || row.response === undefined)
      throw new Error('idempotent consume has no stored answer');
    const answer =
      typeof row.response === 'string'
        ? (JSON.parse(row.response) as CheckAnswer)
        : (row.response as CheckAnswer);
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

/** The rows that store first answers under their keys (usage-consumptions.ts). */
export function consumeAnswerRows(entries: readonly StoredAnswer[]): string {
  return consumptionRows(
    entries.map((entry) => ({
      organization_id: entry.input.organizationId,
      idempotency_key: entry.input.idempotencyKey,
      feature: entry.input.feature,
      quantity: decimalText(entry.input.quantity),
      created_at: entry.now.toISOString(),
      response: entry.answer,
    })),
  );
}
