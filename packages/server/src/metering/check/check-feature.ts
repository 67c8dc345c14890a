import {
  type BillingContext,
  type Catalog,
  type Decimal,
  decideCheck,
  decimalText,
  isSubscriptionActive,
} from '@tollgate/core';
import { checkUserTrial, TRIAL_FEATURE, type TrialCheckResult } from '../../credits/trial.js';
import type { DbOrTx } from '../../db/transaction.js';
import { badRequest, notFound } from '../../errors.js';
import { countMembers } from '../../members/service.js';
import { type CheckAnswer, toCheckAnswer } from '../check-answer.js';
import { type ConsumeItem, consumeBatch } from '../consume/consume-batch.js';
import {
  type BillingState,
  type CheckState,
  type CheckStateRequest,
  loadCheckStates,
} from './check-state.js';

export type CheckInput = {
  organizationId: string;
  feature: string;
  quantity: Decimal;
  projectId?: string | undefined;
  userId?: string | undefined;
  consume: boolean;
  idempotencyKey?: string | undefined;
};

export type CheckOptions = {
  trialPlanExecutions: number;
  /**
   * How the check's state is read and its consume recorded. By default each check does its own;
   * the server shares one round trip among concurrent checks (see check-service.ts).
   */
  loadState?: (request: CheckStateRequest) => Promise<CheckState | undefined>;
  /** The billing state alone: a consume reads its counter under lock in its own transaction. */
  loadBilling?: (request: CheckStateRequest) => Promise<BillingState | undefined>;
  consume?: (item: ConsumeItem) => Promise<CheckAnswer>;
};

/** Answers "may this organization use `quantity` more of `feature` now?", consuming it atomically if asked. */
export async function checkFeature(
  db: DbOrTx,
  catalog: Catalog,
  input: CheckInput,
  now: Date,
  options: CheckOptions = { trialPlanExecutions: 10 },
): Promise<CheckAnswer> {
  const feature = catalog.feature(input.feature);
  if (!feature) throw badRequest('unknown_feature', `feature "${input.feature}" is not in the catalog`);
  const stateRequest = {
    organizationId: input.organizationId,
    feature: { code: input.feature, reset: feature.reset },
    now,
  };
  const consumesCounter = input.consume && feature.kind === 'metered';
  const load = (consumesCounter ? options.loadBilling : undefined) ?? options.loadState;
  const state = load
    ? await load(stateRequest)
    : (await loadCheckStates(db, [stateRequest], catalog.defaultPlanCode))[0];
  if (!state) throw notFound('organization', input.organizationId);
  const { context } = state;
  // In a public/trial organization each user spends their own trial allowance (the credits module keeps it).
  if (state.trialOrganization && input.feature === TRIAL_FEATURE && input.userId !== undefined) {
    const trial = await checkUserTrial(db, catalog, {
      organization_id: input.organizationId,
      user_id: input.userId,
      quantity: decimalText(input.quantity),
      consume: input.consume,
      idempotency_key: input.idempotencyKey,
      now,
      trial_plan_executions: options.trialPlanExecutions,
    });
    if (trial.applies) return trialAnswer(trial);
  }
  if (input.consume && feature.kind === 'seats') {
    throw badRequest(
      'not_consumable',
      'seats follow the organization members; add a member instead of consuming',
    );
  }
  if (consumesCounter) {
    const item = { input, context, now };
    if (options.consume) return options.consume(item);
    const [answer] = await consumeBatch(db, catalog, [item]);
    if (answer instanceof Error) throw answer;
    if (!answer) throw new Error('consume batch answered nothing');
    return answer;
  }
  const { used } = state as Partial<CheckState>;
  if (used === undefined) throw new Error('a check without consume needs the counter in its state');
  if (feature.kind === 'seats') return decideWithoutConsuming(db, catalog, context, used, input);
  const known = rememberedAnswer(state, input);
  if (known) return known;
  const answer = await decideWithoutConsuming(db, catalog, context, used, input);
  rememberAnswer(state, input, answer);
  return answer;
}

// A metered check's answer follows from its state and quantity alone: remembered states (see
// check-state-cache.ts) are the same object until they change, so their answers are kept on them.
const answersByState = new WeakMap<BillingState, Map<string, CheckAnswer>>();
const MAX_ANSWERS_PER_STATE = 16;
const answerKey = (input: CheckInput) => `${input.feature}\u0000${decimalText(input.quantity)}`;

function rememberAnswer(state: BillingState, input: CheckInput, answer: CheckAnswer): void {
  let answers = answersByState.get(state);
  if (!answers) {
    answers = new Map();
    answersByState.set(state, answers);
  }
  if (answers.size < MAX_ANSWERS_PER_STATE) answers.set(answerKey(input), answer);
}

/**
 * The answer a check of a metered feature without consume gets from a remembered state, when the same
 * question was already answered on it; undefined otherwise. Synchronous: the server's busiest path.
 * The caller has established that the feature is metered and the check does not consume.
 */
export function answerFromMemory(state: BillingState, input: CheckInput): CheckAnswer | undefined {
  if (state.trialOrganization && input.feature === TRIAL_FEATURE && input.userId !== undefined)
    return undefined;
  return rememberedAnswer(state, input);
}

const rememberedAnswer = (state: BillingState, input: CheckInput) =>
  answersByState.get(state)?.get(answerKey(input));

async function decideWithoutConsuming(
  db: DbOrTx,
  catalog: Catalog,
  context: BillingContext,
  counterUsed: Decimal,
  input: CheckInput,
): Promise<CheckAnswer> {
  const feature = catalog.feature(input.feature);
  const planFeature = catalog.planFeature(context.planCode, input.feature);
  // Seats are the organization's members; metered features their counter.
  const used = feature?.kind === 'seats' ? await countMembers(db, input.organizationId) : counterUsed;
  const decision = decideCheck({
    planFeature,
    used,
    quantity: input.quantity,
    defaultGracePercent: catalog.definition.metering.default_grace_percent,
    subscriptionActive: isSubscriptionActive(context.status),
  });
  return toCheckAnswer(input.feature, decision, catalog, context.planCode);
}

function trialAnswer(trial: Extract<TrialCheckResult, { applies: true }>): CheckAnswer {
  return {
    allowed: trial.allowed,
    feature: trial.feature,
    limit: Number(trial.limit),
    used: Number(trial.used),
    remaining: Number(trial.remaining),
    cap: 'hard',
    ...(trial.reason && { reason: trial.reason }),
    ...(trial.upgrade_url && { upgrade_url: trial.upgrade_url }),
  };
}
