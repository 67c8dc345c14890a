import type { Catalog } from '../catalog/catalog.js';

/** A paid invoice line of a plan's licensed price, as the credit decision needs it. */
export type PaidPlanLine = {
  plan: string;
  period: { start: Date; end: Date };
  proration: boolean;
  amount: number;
};

export type SubscriptionCreditGrantPlan = {
  amount: number;
  grantedAt: Date;
  expiresAt: Date;
  idempotencyKey: string;
  plan: string;
};

/**
 * Subscription credits for a paid invoice: each paid period of a plan grants the plan's credits once,
 * expiring at the period's end. A trial is not a paid period (its line is zero). An upgrade's prorated
 * line grants the difference between the new plan's allowance and the old one's for the rest of the
 * period. Keys name the subscription, the period and the plan, so every delivery of the same invoice,
 * and every later event about it, grants at most once.
 */
export function subscriptionCreditsForPaidInvoice(input: {
  catalog: Catalog;
  subscriptionId: string;
  lines: readonly PaidPlanLine[];
  now: Date;
}): SubscriptionCreditGrantPlan[] {
  const grants: SubscriptionCreditGrantPlan[] = [];
  // A prorated change credits the unused time of the plan it leaves: that line names the old plan.
  const previousPlan = input.lines.find((line) => line.proration && line.amount < 0)?.plan ?? null;
  for (const line of input.lines) {
    if (line.amount <= 0 || line.period.end.getTime() <= input.now.getTime()) continue;
    const allowance = input.catalog.plan(line.plan)?.credits_per_period ?? 0;
    const previous =
      line.proration && previousPlan ? (input.catalog.plan(previousPlan)?.credits_per_period ?? 0) : 0;
    const amount = allowance - previous;
    if (amount <= 0) continue;
    const period = line.period.start.toISOString();
    grants.push({
      amount,
      grantedAt: line.proration ? input.now : line.period.start,
      expiresAt: line.period.end,
      idempotencyKey: line.proration
        ? `subscription:${input.subscriptionId}:${period}:upgrade:${line.plan}`
        : `subscription:${input.subscriptionId}:${period}:${line.plan}`,
      plan: line.plan,
    });
  }
  return grants;
}
