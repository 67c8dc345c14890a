import type { Aggregation, PlanFeature } from '../catalog/schema.js';
import type { Decimal } from '../decimal.js';
import { toDecimal } from '../decimal.js';
import { usageAfterUse } from './aggregation.js';
import { crossedThresholds } from './alerts.js';
import { type CheckDecision, decideCheck } from './check.js';

export type ConsumeRequest = {
  /** The counter this consume moves; requests naming the same counter see each other in order. */
  counter: string;
  quantity: Decimal;
  /** The feature's aggregation: what a consume leaves (usageAfterUse). unique_count is never consumed. */
  aggregation: Exclude<Aggregation, 'unique_count'>;
  planFeature: PlanFeature | undefined;
  subscriptionActive: boolean;
  defaultGracePercent: number;
  alertThresholds: readonly number[];
};

export type ConsumeOutcome = {
  /** The decision against the usage before this consume. */
  decision: CheckDecision;
  /** True when the quantity was added to the counter. */
  moved: boolean;
  usedBefore: Decimal;
  usedAfter: Decimal;
  /** Alert thresholds (percent of the included quantity) this consume crossed upward. */
  crossedThresholds: number[];
  /** The included quantity the thresholds are percentages of; null when unlimited or boolean. */
  included: Decimal | null;
};

export type ConsumePlan = {
  outcomes: ConsumeOutcome[];
  /** Every counter's usage after the whole plan, for the counters some request moved. */
  movedCounters: Map<string, Decimal>;
};

/**
 * Decides a run of consumes against their counters' current usage, in order, as if each had
 * arrived alone: a consume is allowed when the usage left by the ones before it leaves room, and
 * only allowed consumes of metered grants move the counter. Pure, so a batch can be decided
 * between reading the locked counters and writing them back.
 */
export function planConsumes(
  requests: readonly ConsumeRequest[],
  usedByCounter: ReadonlyMap<string, Decimal>,
): ConsumePlan {
  const current = new Map(usedByCounter);
  const movedCounters = new Map<string, Decimal>();
  const outcomes = requests.map((request): ConsumeOutcome => {
    const usedBefore = current.get(request.counter) ?? toDecimal(0);
    const decision = decideCheck({
      planFeature: request.planFeature,
      used: usedBefore,
      quantity: request.quantity,
      defaultGracePercent: request.defaultGracePercent,
      subscriptionActive: request.subscriptionActive,
      aggregation: request.aggregation,
    });
    const grant = request.planFeature;
    const included =
      typeof grant === 'object' && grant.included !== 'unlimited' ? toDecimal(grant.included) : null;
    if (!decision.allowed || typeof grant !== 'object') {
      return { decision, moved: false, usedBefore, usedAfter: usedBefore, crossedThresholds: [], included };
    }
    const usedAfter = usageAfterUse(request.aggregation, usedBefore, request.quantity);
    current.set(request.counter, usedAfter);
    movedCounters.set(request.counter, usedAfter);
    return {
      decision,
      moved: true,
      usedBefore,
      usedAfter,
      crossedThresholds: crossedThresholds(request.alertThresholds, included, usedBefore, usedAfter),
      included,
    };
  });
  return { outcomes, movedCounters };
}
