import type { Aggregation, PlanFeature } from '../catalog/schema.js';
import { Decimal, type DecimalInput, toDecimal } from '../decimal.js';
import { usageAfterUse } from './aggregation.js';

export type DenialReason =
  | 'limit_exceeded'
  | 'feature_not_in_plan'
  | 'subscription_inactive'
  | 'trial_exhausted';

export type Cap = 'hard' | 'soft';

export interface CheckDecision {
  allowed: boolean;
  /** The included quantity of the plan; null when unlimited or for boolean features. */
  limit: Decimal | null;
  used: Decimal;
  /** What is left of the included quantity (never negative); null when unlimited or boolean. */
  remaining: Decimal | null;
  cap: Cap | null;
  /** Usage past the limit is billed as overage (soft cap with an overage price). */
  overage: boolean;
  reason?: DenialReason;
}

export interface CheckInput {
  /** The plan's grant for the feature; undefined when the plan does not mention it. */
  planFeature: PlanFeature | undefined;
  used: DecimalInput;
  quantity: DecimalInput;
  /** From the catalog's metering.default_grace_percent. */
  defaultGracePercent: number;
  /** False when the subscription is canceled, expired or incomplete. */
  subscriptionActive: boolean;
  /**
   * The feature's aggregation, for what the use would leave (usageAfterUse): `quantity` more for sum
   * and count (the default), a level of `quantity` for max and latest.
   */
  aggregation?: Exclude<Aggregation, 'unique_count'> | undefined;
}

type MeteredPlanFeature = Exclude<PlanFeature, boolean>;
type Limits = { limit: Decimal | null; ceiling: Decimal | null; defaultGracePercent: number };

// A plan's grant is fixed once its catalog is loaded, and every check of the feature needs the same
// two decimals: derive them once per grant instead of parsing and multiplying on every check.
const limitsByGrant = new WeakMap<MeteredPlanFeature, Limits>();

function limitsOf(planFeature: MeteredPlanFeature, defaultGracePercent: number): Limits {
  const known = limitsByGrant.get(planFeature);
  if (known && known.defaultGracePercent === defaultGracePercent) return known;
  const limit = planFeature.included === 'unlimited' ? null : toDecimal(planFeature.included);
  let ceiling: Decimal | null = null;
  if (limit !== null) {
    if (planFeature.cap === 'hard') ceiling = limit;
    else if (planFeature.overage === null) {
      const gracePercent = planFeature.grace_percent ?? defaultGracePercent;
      ceiling = limit.times(new Decimal(gracePercent).dividedBy(100).plus(1));
    }
  }
  const limits = { limit, ceiling, defaultGracePercent };
  limitsByGrant.set(planFeature, limits);
  return limits;
}

/** May the organization use `quantity` more of this feature now? Denials are values, not errors. */
export function decideCheck(input: CheckInput): CheckDecision {
  const used = toDecimal(input.used);
  const quantity = toDecimal(input.quantity);
  const { planFeature } = input;
  if (planFeature === undefined || planFeature === false) {
    return {
      allowed: false,
      limit: null,
      used,
      remaining: null,
      cap: null,
      overage: false,
      reason: 'feature_not_in_plan',
    };
  }
  const inactive = input.subscriptionActive ? {} : { reason: 'subscription_inactive' as const };
  if (planFeature === true) {
    return {
      allowed: input.subscriptionActive,
      limit: null,
      used,
      remaining: null,
      cap: null,
      overage: false,
      ...inactive,
    };
  }
  const { limit, ceiling } = limitsOf(planFeature, input.defaultGracePercent);
  const remaining = limit === null ? null : Decimal.max(0, limit.minus(used));
  const base = { limit, used, remaining, cap: planFeature.cap, overage: false };
  if (!input.subscriptionActive) return { ...base, allowed: false, reason: 'subscription_inactive' };
  const usedAfter = usageAfterUse(input.aggregation, used, quantity);
  if (ceiling !== null && usedAfter.gt(ceiling)) {
    return { ...base, allowed: false, reason: 'limit_exceeded' };
  }
  const overage = limit !== null && planFeature.overage !== null && usedAfter.gt(limit);
  return { ...base, allowed: true, overage };
}
