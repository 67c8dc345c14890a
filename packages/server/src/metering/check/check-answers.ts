import { type Decimal, decimalText } from '@tollgate/core';
import type { CheckAnswer, CheckInput } from '../types.js';
import type { CheckState } from './check-state.js';

/**
 * Answers of checks without consume, kept on the remembered state they were decided from. A metered
 * check's answer follows from its state's billing context, its counter's `used` and the question alone.
 * A remembered state (check-state-cache.ts) keeps its identity until it is invalidated, and this
 * process's ingestion moves its `used` in place to a new Decimal; so answers are kept with the `used`
 * they were decided from and hold only while the state still has that very `used`. A state loaded anew
 * starts with no answers, and an old one is collected with its answers.
 */
export type CheckAnswers = {
  get(state: CheckState, input: CheckInput): CheckAnswer | undefined;
  /** `used` is what the answer was decided from: if the state has moved since, nothing is remembered. */
  remember(state: CheckState, used: Decimal, input: CheckInput, answer: CheckAnswer): void;
};

/** Distinct questions remembered per state (feature and quantity); later ones are answered anew. */
const MAX_ANSWERS_PER_STATE = 16;

const answerKey = (input: CheckInput) => `${input.feature}\u0000${decimalText(input.quantity)}`;

/** The answers decided from one value of a state's `used`; emptied and reused when it moves. */
type AnswersOfUsed = { used: Decimal; answers: Map<string, CheckAnswer> };

export function createCheckAnswers(): CheckAnswers {
  const answersByState = new WeakMap<CheckState, AnswersOfUsed>();
  return {
    get(state, input) {
      const remembered = answersByState.get(state);
      return remembered?.used === state.used ? remembered.answers.get(answerKey(input)) : undefined;
    },
    remember(state, used, input, answer) {
      if (state.used !== used) return;
      let remembered = answersByState.get(state);
      if (!remembered) {
        remembered = { used, answers: new Map() };
        answersByState.set(state, remembered);
      } else if (remembered.used !== used) {
        remembered.used = used;
        remembered.answers.clear();
      }
      if (remembered.answers.size < MAX_ANSWERS_PER_STATE) remembered.answers.set(answerKey(input), answer);
    },
  };
}
