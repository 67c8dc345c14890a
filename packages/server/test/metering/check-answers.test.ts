import { toDecimal } from '@tollgate/core';
import { describe, expect, it } from 'vitest';
import { createCheckAnswers } from '../../src/metering/check/check-answers.js';
import type { CheckState } from '../../src/metering/check/check-state.js';
import type { CheckAnswer, CheckInput } from '../../src/metering/types.js';

const stateWith = (used: number): CheckState => ({
  context: { planCode: 'free', status: null, interval: null, anchor: null, currentPeriod: null },
  used: toDecimal(used),
  trialOrganization: false,
});
const question = (quantity: number): CheckInput => ({
  organizationId: 'org_a',
  feature: 'api_calls',
  quantity: toDecimal(quantity),
  consume: false,
});
const answerAt = (used: number): CheckAnswer => ({
  allowed: used < 10,
  feature: 'api_calls',
  limit: 10,
  used,
  remaining: Math.max(0, 10 - used),
  cap: 'hard',
});

describe('remembered check answers', () => {
  it('answers the same question on the same state again, and only that question', () => {
    const answers = createCheckAnswers();
    const state = stateWith(3);
    answers.remember(state, state.used, question(1), answerAt(3));
    expect(answers.get(state, question(1))).toEqual(answerAt(3));
    expect(answers.get(state, question(2))).toBeUndefined();
    expect(answers.get(stateWith(3), question(1))).toBeUndefined();
  });

  it('forgets the answers once the state is moved in place, and keeps those of its new usage', () => {
    const answers = createCheckAnswers();
    const state = stateWith(3);
    answers.remember(state, state.used, question(1), answerAt(3));
    answers.remember(state, state.used, question(2), answerAt(3));
    state.used = toDecimal(4);
    expect(answers.get(state, question(1))).toBeUndefined();
    answers.remember(state, state.used, question(1), answerAt(4));
    expect(answers.get(state, question(1))).toEqual(answerAt(4));
    expect(answers.get(state, question(2))).toBeUndefined();
  });

  it('ignores an answer decided from a usage the state has since left, keeping those of its usage now', () => {
    const answers = createCheckAnswers();
    const state = stateWith(3);
    const decidedFrom = state.used;
    state.used = toDecimal(9);
    answers.remember(state, state.used, question(2), answerAt(9));
    answers.remember(state, decidedFrom, question(1), answerAt(3));
    expect(answers.get(state, question(1))).toBeUndefined();
    expect(answers.get(state, question(2))).toEqual(answerAt(9));
  });

  it('remembers at most 16 questions per state', () => {
    const answers = createCheckAnswers();
    const state = stateWith(0);
    for (let quantity = 1; quantity <= 17; quantity += 1)
      answers.remember(state, state.used, question(quantity), answerAt(0));
    expect(answers.get(state, question(16))).toEqual(answerAt(0));
    expect(answers.get(state, question(17))).toBeUndefined();
  });
});
