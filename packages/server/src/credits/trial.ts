import { Decimal, decideTrialUse, decimalText, toDecimal, trialStanding } from '@tollgate/core';
import { and, eq, notInArray, sql } from 'drizzle-orm';
import {
  organizationMembers,
  organizations,
  subscriptionHistory,
  subscriptions,
  userTrials,
  userTrialUses,
} from '../db/schema/index.js';
import { type DbOrTx, withTransaction } from '../db/transaction.js';
import { AppError } from '../errors.js';

export const TRIAL_FEATURE = 'agent_executions';

export type TrialCheckResult =
  /** The organization is not a public/trial organization: count executions per organization as usual. */
  | { applies: false }
  | {
      applies: true;
      allowed: boolean;
      feature: string;
      limit: string;
      used: string;
      remaining: string;
      reason?: 'trial_exhausted';
    };

export type TrialCheckInput = {
  organization_id: string;
  user_id: string;
  quantity?: string | number;
  consume: boolean;
  idempotency_key?: string | undefined;
  now: Date;
  trial_plan_executions: number;
};

/**
 * For /v1/check on agent_executions: in a public/trial organization each user spends their own
 * TRIAL_PLAN_EXECUTIONS. The row lock on the user's trial makes concurrent consumes count exactly; the
 * moment a trial is used up is written to the plan history.
 */
export async function checkUserTrial(db: DbOrTx, input: TrialCheckInput): Promise<TrialCheckResult> {
  const quantity = toDecimal(input.quantity ?? 1);
  const limit = new Decimal(input.trial_plan_executions);
  return withTransaction(db, async (tx) => {
    const [organization] = await tx
      .select({
        trial: organizations.trialOrganization,
        member: sql<boolean>`exists (select 1 from ${organizationMembers}
          where ${organizationMembers.organizationId} = ${organizations.id}
            and ${organizationMembers.userId} = ${input.user_id})`,
      })
      .from(organizations)
      .where(eq(organizations.id, input.organization_id));
    if (!organization?.trial) return { applies: false };
    // Each user's allowance is theirs once: a user id the host app never added cannot open a new one.
    if (!organization.member) {
      throw new AppError(
        'user_not_member',
        400,
        `user "${input.user_id}" is not a member of trial organization "${input.organization_id}"; add them with POST /v1/organizations/{id}/users first`,
      );
    }
    const key = { organizationId: input.organization_id, userId: input.user_id };
    if (input.consume) await tx.insert(userTrials).values(key).onConflictDoNothing();
    const [trial] = await tx
      .select()
      .from(userTrials)
      .where(and(eq(userTrials.organizationId, key.organizationId), eq(userTrials.userId, key.userId)))
      .for(input.consume ? 'update' : 'share');
    if (input.consume && input.idempotency_key) {
      const [previous] = await tx
        .select({ response: userTrialUses.response })
        .from(userTrialUses)
        .where(
          and(
            eq(userTrialUses.organizationId, key.organizationId),
            eq(userTrialUses.idempotencyKey, input.idempotency_key),
          ),
        );
      if (previous) return previous.response as TrialCheckResult;
    }
    const used = new Decimal(trial?.used ?? '0');
    const decision = decideTrialUse({ used, limit, quantity });
    const result: TrialCheckResult = {
      applies: true,
      allowed: decision.allowed,
      feature: TRIAL_FEATURE,
      limit: decimalText(limit),
      used: decimalText(decision.allowed && input.consume ? decision.used : used),
      remaining: decimalText(
        decision.allowed && input.consume ? decision.remaining : trialStanding({ used, limit }).remaining,
      ),
      ...(decision.allowed ? {} : { reason: 'trial_exhausted' as const }),
    };
    if (!input.consume || !decision.allowed) return result;
    const exhaustedNow = decision.remaining.isZero() && !trial?.exhaustedAt;
    await tx
      .update(userTrials)
      .set({
        used: decimalText(decision.used),
        updatedAt: input.now,
        ...(exhaustedNow ? { exhaustedAt: input.now } : {}),
      })
      .where(and(eq(userTrials.organizationId, key.organizationId), eq(userTrials.userId, key.userId)));
    if (input.idempotency_key) {
      await tx
        .insert(userTrialUses)
        .values({ ...key, idempotencyKey: input.idempotency_key, response: result, createdAt: input.now });
    }
    if (exhaustedNow) await recordTrialExhausted(tx, input, decision.used);
    return result;
  });
}

async function recordTrialExhausted(tx: DbOrTx, input: TrialCheckInput, used: Decimal): Promise<void> {
  const [subscription] = await tx
    .select({ id: subscriptions.id, planCode: subscriptions.planCode })
    .from(subscriptions)
    .where(
      and(
        eq(subscriptions.organizationId, input.organization_id),
        notInArray(subscriptions.status, ['canceled', 'expired']),
      ),
    )
    .limit(1);
  await tx.insert(subscriptionHistory).values({
    organizationId: input.organization_id,
    subscriptionId: subscription?.id ?? '',
    change: 'user_trial_exhausted',
    fromPlanCode: subscription?.planCode ?? null,
    toPlanCode: subscription?.planCode ?? null,
    actor: 'system',
    details: { user_id: input.user_id, used: decimalText(used), limit: String(input.trial_plan_executions) },
    occurredAt: input.now,
  });
}

/** GET /v1/users/{id}/trial: the user's trial in each public/trial organization (usually one). */
export async function readUserTrials(db: DbOrTx, userId: string, trialPlanExecutions: number) {
  const trialOrganizations = await db
    .select({ id: organizations.id })
    .from(organizations)
    .where(eq(organizations.trialOrganization, true));
  const limit = new Decimal(trialPlanExecutions);
  const trials = [];
  for (const organization of trialOrganizations) {
    const [row] = await db
      .select()
      .from(userTrials)
      .where(and(eq(userTrials.organizationId, organization.id), eq(userTrials.userId, userId)));
    const used = new Decimal(row?.used ?? '0');
    const standing = trialStanding({ used, limit });
    trials.push({
      organization_id: organization.id,
      limit: decimalText(limit),
      used: decimalText(used),
      remaining: decimalText(standing.remaining),
      exhausted: standing.exhausted,
      exhausted_at: row?.exhaustedAt?.toISOString() ?? null,
    });
  }
  return trials;
}
