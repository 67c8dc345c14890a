import type { PlanFeature } from '../catalog/schema.js';
import { Decimal, type DecimalInput, toDecimal } from '../decimal.js';
import { usagePercent } from './alerts.js';
import type { Cap } from './check.js';
import { overageAmount, overageQuantity } from './rating.js';

/** One feature's line on the usage page: what was used, what the plan includes, what overage costs. */
export interface UsageLine {
  used: Decimal;
  /** The plan's included quantity, 'unlimited', or null for features the plan lacks. */
  included: Decimal | 'unlimited' | null;
  limit: Decimal | null;
  remaining: Decimal | null;
  percent: Decimal | null;
  cap: Cap | null;
  overage_quantity: Decimal;
  /** Minor units of the catalog currency, rounded half up. */
  overage_amount: number;
}

export function usageLine(planFeature: PlanFeature | undefined, used: DecimalInput): UsageLine {
  const usedValue = toDecimal(used);
  if (planFeature === undefined || typeof planFeature === 'boolean') {
    return {
      used: usedValue,
      included: null,
      limit: null,
      remaining: null,
      percent: null,
      cap: null,
      overage_quantity: new Decimal(0),
      overage_amount: 0,
    };
  }
  const limit = planFeature.included === 'unlimited' ? null : toDecimal(planFeature.included);
  return {
    used: usedValue,
    included: limit ?? 'unlimited',
    limit,
    remaining: limit === null ? null : Decimal.max(0, limit.minus(usedValue)),
    percent: usagePercent(limit, usedValue),
    cap: planFeature.cap,
    overage_quantity: overageQuantity(planFeature, usedValue),
    overage_amount: overageAmount(planFeature, usedValue),
  };
}
