import {
  type BillingContext,
  type Catalog,
  type Decimal,
  decideCheck,
  decideSeats,
  decimalText,
  isConsumable,
  isSubscriptionActive,
} from '@tollgate/core';
import { checkUserTrial, TRIAL_FEATURE, type TrialCheckResult } from '../../credits/trial.js';
import type { DbOrTx } from '../../db/transaction.js';
import { badRequest, notFound } from '../../errors.js';
import { countMembers } from '../../members/service.js';
import { toCheckAnswer, type UpgradeLinks } from '../check-answer.js';
import type { CheckAnswer, CheckInput, ConsumeItem } from '../types.js';
import type { CheckAnswers } from './check-answers.js';
import type { BillingState, CheckState, CheckStateRequest } from './check-state.js';

/** How a check's state is read and its consume recorded (check-service.ts batches and remembers them). */
export type CheckOptions = {
  trialPlanExecutions: number;
  upgradeLinks: UpgradeLinks;
  /** The billing state and the feature's counter. */
  loadState: (request: CheckStateRequest) => Promise<CheckState | undefined>;
  /** The billing state alone: a consume reads its counter under lock in its own transaction. */
  loadBilling: (request: CheckStateRequest) => Promise<BillingState | undefined>;
  consume: (item: ConsumeItem) => Promise<CheckAnswer>;
  answers: CheckAnswers;
};

/** Answers "may this organization use `quantity` more of `feature` now?", consuming it atomically if asked. */
export async function checkFeature(
  db: DbOrTx,
  catalog: Catalog,
  input: CheckInput,
  now: Date,
  options: CheckOptions,
): Promise<CheckAnswer> {
  const feature = catalog.feature(input.feature);
  if (!feature) throw badRequest('unknown_feature', `feature "${input.feature}" is not in the catalog`);
  const stateRequest = {
    organizationId: input.organizationId,
    feature: { code: input.feature, reset: feature.reset },
    now,
  };
  const consumesCounter = input.consume && feature.kind === 'metered';
  const state = consumesCounter
    ? await options.loadBilling(stateRequest)
    : await options.loadState(stateRequest);
  if (!state) throw notFound('organization', input.organizationId);
  const { context } = state;
  // In a public/trial organization each user spends their own trial allowance (the credits module keeps it).
  if (state.trialOrganization && input.feature === TRIAL_FEATURE && input.userId === undefined) {
    throw badRequest(
      'user_id_required',
      `user_id: "${TRIAL_FEATURE}" is counted per user in a trial organization; name the user`,
    );
  }
  if (appliesUserTrial(state, input)) {
    const trial = await checkUserTrial(db, {
      organization_id: input.organizationId,
      user_id: input.userId as string,
      quantity: decimalText(input.quantity),
      consume: input.consume,
      idempotency_key: input.idempotencyKey,
      now,
      trial_plan_executions: options.trialPlanExecutions,
    });
    if (trial.applies) return trialAnswer(trial, options.upgradeLinks(context.planCode, TRIAL_FEATURE));
  }
  if (input.consume && feature.kind === 'seats') {
    throw badRequest(
      'not_consumable',
      'seats follow the organization members; add a member instead of consuming',
    );
  }
  if (consumesCounter && !isConsumable(feature.aggregation)) {
    throw badRequest(
      'not_consumable',
      `"${input.feature}" counts distinct values of a property; send usage events instead of consuming`,
    );
  }
  if (consumesCounter) return options.consume({ input, context, now });
  // Not consuming a counter, so `loadState` read it above.
  const counted = state as CheckState;
  const { used } = counted;
  if (feature.kind === 'seats') return decideWithoutConsuming(db, catalog, context, used, input, options);
  const known = options.answers.get(counted, input);
  if (known) return known;
  const answer = await decideWithoutConsuming(db, catalog, context, used, input, options);
  options.answers.remember(counted, used, input, answer);
  return answer;
}

/** Whether the check is a user's trial in a public/trial organization, answered by the credits module. */
export const appliesUserTrial = (state: BillingState, input: CheckInput) =>
  state.trialOrganization && input.feature === TRIAL_FEATURE && input.userId !== undefined;

async function decideWithoutConsuming(
  db: DbOrTx,
  catalog: Catalog,
  context: BillingContext,
  counterUsed: Decimal,
  input: CheckInput,
  options: Pick<CheckOptions, 'upgradeLinks'>,
): Promise<CheckAnswer> {
  const feature = catalog.feature(input.feature);
  const planFeature = catalog.planFeature(context.planCode, input.feature);
  const subscriptionActive = isSubscriptionActive(context.status);
  const defaultGracePercent = catalog.definition.metering.default_grace_percent;
  if (feature?.kind === 'seats') {
    // Seats are the organization's members, decided by the rule adding a member follows.
    const members = await countMembers(db, input.organizationId);
    const decision = decideSeats({
      planFeature,
      members,
      quantity: input.quantity,
      defaultGracePercent,
      subscriptionActive,
    });
    return toCheckAnswer(input.feature, decision, options.upgradeLinks, context.planCode);
  }
  const decision = decideCheck({
    planFeature,
    used: counterUsed,
    quantity: input.quantity,
    defaultGracePercent,
    subscriptionActive,
    aggregation: feature && isConsumable(feature.aggregation) ? feature.aggregation : undefined,
  });
  return toCheckAnswer(input.feature, decision, options.upgradeLinks, context.planCode);
}

function trialAnswer(
  trial: Extract<TrialCheckResult, { applies: true }>,
  upgradeUrl: string | undefined,
): CheckAnswer {
  return {
    allowed: trial.allowed,
    feature: trial.feature,
    limit: Number(trial.limit),
    used: Number(trial.used),
    remaining: Number(trial.remaining),
    cap: 'hard',
    ...(trial.reason && { reason: trial.reason }),
    ...(!trial.allowed && upgradeUrl !== undefined && { upgrade_url: upgradeUrl }),
  };
}
