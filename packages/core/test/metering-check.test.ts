import { describe, expect, it } from 'vitest';
import { Catalog } from '../src/catalog/catalog.js';
import { demoCatalog } from '../src/catalog/demo-catalog.js';
import type { PlanFeature } from '../src/catalog/schema.js';
import { type CheckInput, decideCheck } from '../src/metering/check.js';

const hard: PlanFeature = { included: '100', cap: 'hard', overage: null };
const softWithOverage: PlanFeature = {
  included: '100',
  cap: 'soft',
  overage: { model: 'per_unit', unit_amount: '1' },
};
const softWithoutOverage: PlanFeature = { included: '100', cap: 'soft', overage: null };

function check(
  planFeature: PlanFeature | undefined,
  used: number | string,
  quantity: number | string = 1,
  extra: Partial<CheckInput> = {},
) {
  return decideCheck({
    planFeature,
    used,
    quantity,
    defaultGracePercent: 10,
    subscriptionActive: true,
    ...extra,
  });
}

describe('decideCheck', () => {
  it('hard cap allows up to the limit exactly and denies one more', () => {
    const atLimit = check(hard, 99, 1);
    expect(atLimit.allowed).toBe(true);
    expect(atLimit.remaining?.toFixed()).toBe('1');
    const over = check(hard, 99, 2);
    expect(over).toMatchObject({ allowed: false, reason: 'limit_exceeded', cap: 'hard' });
    expect(over.limit?.toFixed()).toBe('100');
    expect(check(hard, 100, '0.001').allowed).toBe(false);
  });

  it('soft cap with an overage price allows past the limit and flags overage', () => {
    const decision = check(softWithOverage, 5000, 10);
    expect(decision).toMatchObject({ allowed: true, overage: true, cap: 'soft' });
    expect(decision.remaining?.toFixed()).toBe('0');
    expect(check(softWithOverage, 10, 10).overage).toBe(false);
  });

  it('soft cap without overage allows the default 10 % grace, then denies', () => {
    expect(check(softWithoutOverage, 109, 1).allowed).toBe(true);
    expect(check(softWithoutOverage, 110, 1)).toMatchObject({ allowed: false, reason: 'limit_exceeded' });
  });

  it('uses the per-feature grace percent over the catalog default', () => {
    const generous: PlanFeature = { ...softWithoutOverage, grace_percent: 50 } as PlanFeature;
    expect(check(generous, 149, 1).allowed).toBe(true);
    expect(check(generous, 150, 1).allowed).toBe(false);
    const none: PlanFeature = { ...softWithoutOverage, grace_percent: 0 } as PlanFeature;
    expect(check(none, 100, 1).allowed).toBe(false);
    expect(check(softWithoutOverage, 100, 1, { defaultGracePercent: 0 }).allowed).toBe(false);
  });

  it('answers boolean features true or false', () => {
    expect(check(true, 0)).toMatchObject({ allowed: true, limit: null, remaining: null, cap: null });
    expect(check(false, 0)).toMatchObject({ allowed: false, reason: 'feature_not_in_plan' });
  });

  it('denies features the plan does not mention', () => {
    expect(check(undefined, 0)).toMatchObject({ allowed: false, reason: 'feature_not_in_plan' });
  });

  it('always allows unlimited features', () => {
    const decision = check(
      { included: 'unlimited', cap: 'soft', overage: null },
      '1000000000000000000000000000000',
      1_000_000_000,
    );
    expect(decision).toMatchObject({ allowed: true, limit: null, remaining: null });
  });

  it('denies everything but absent features when the subscription is inactive', () => {
    expect(check(hard, 0, 1, { subscriptionActive: false })).toMatchObject({
      allowed: false,
      reason: 'subscription_inactive',
    });
    expect(check(true, 0, 1, { subscriptionActive: false })).toMatchObject({
      allowed: false,
      reason: 'subscription_inactive',
    });
  });

  it('works on the demo catalog: free llm_tokens stops at 11,000', () => {
    const catalog = Catalog.from(demoCatalog);
    const free = catalog.planFeature('free', 'llm_tokens');
    const grace = catalog.definition.metering.default_grace_percent;
    expect(
      decideCheck({
        planFeature: free,
        used: 10_999,
        quantity: 1,
        defaultGracePercent: grace,
        subscriptionActive: true,
      }).allowed,
    ).toBe(true);
    expect(
      decideCheck({
        planFeature: free,
        used: 10_999,
        quantity: 2,
        defaultGracePercent: grace,
        subscriptionActive: true,
      }).allowed,
    ).toBe(false);
  });
});
