import { decimalText } from '@tollgate/core';
import type { CheckAnswer, CheckInput } from '../types.js';
import type { BillingState } from './check-state.js';

/**
 * Answers of checks without consume, kept on the remembered state they were decided from. A metered
 * check's answer follows from its state and quantity alone, and a remembered state (check-state-cache.ts)
 * is the same object until it changes, so an answer lives exactly as long as the state it came from:
 * a new state (after any invalidation) starts with no answers, and the old one is collected.
 */
export type CheckAnswers = {
  get(state: BillingState, input: CheckInput): CheckAnswer | undefined;
  remember(state: BillingState, input: CheckInput, answer: CheckAnswer): void;
};

/** Distinct questions remembered per state (feature and quantity); later ones are answered anew. */
const MAX_ANSWERS_PER_STATE = 16;

const answerKey = (input: CheckInput) => `${input.feature}\u0000${decimalText(input.quantity)}`;

export function createCheckAnswers(): CheckAnswers {
  const answersByState = new WeakMap<BillingState, Map<string, CheckAnswer>>();
  return {
    get: (state, input) => answersByState.get(state)?.get(answerKey(input)),
    remember(state, input, answer) {
      let answers = answersByState.get(state);
      if (!answers) {
        answers = new Map();
        answersByState.set(state, answers);
      }
      if (answers.size < MAX_ANSWERS_PER_STATE) answers.set(answerKey(input), answer);
    },
  };
}
