import { describe, expect, it } from 'vitest';
import { Catalog, type CatalogInput, demoCatalog } from '../src/index.js';

const withStandard = (apiCalls: number, amount = 9_900): CatalogInput => ({
  ...demoCatalog,
  plans: {
    ...demoCatalog.plans,
    standard: {
      ...demoCatalog.plans.standard,
      prices: { ...demoCatalog.plans.standard.prices, monthly: { amount } },
      features: { ...demoCatalog.plans.standard.features, api_calls: { included: apiCalls, cap: 'soft' } },
    },
  },
});

describe('plan versions', () => {
  const before = Catalog.from(withStandard(100_000));
  const today = Catalog.from(withStandard(50_000, 12_900)).withPlanVersions([
    { hash: before.hash, definition: before.definition },
  ]);

  it('keeps a subscriber on the plan definition of the catalog version it subscribed under', () => {
    const code = today.effectivePlanCode('standard', before.hash);
    expect(code).toBe(`standard@${before.hash}`);
    expect(today.isGrandfathered('standard', before.hash)).toBe(true);
    expect(today.planFeature(code, 'api_calls')).toMatchObject({ included: '100000' });
    expect(today.plan(code)).toMatchObject({ code: 'standard', prices: { monthly: { amount: 9_900 } } });
    // New subscribers, and subscriptions made under today's catalog, get today's plan.
    expect(today.planFeature(today.effectivePlanCode('standard', today.hash), 'api_calls')).toMatchObject({
      included: '50000',
    });
  });

  it('keeps today’s plan for plans whose definition did not change, and lists no earlier plans', () => {
    expect(today.effectivePlanCode('enterprise', before.hash)).toBe('enterprise');
    expect(today.effectivePlanCode('standard', null)).toBe('standard');
    expect(today.effectivePlanCode('standard', 'an_unknown_hash')).toBe('standard');
    expect(today.plans().map((plan) => plan.code)).toEqual(['free', 'standard', 'enterprise']);
  });

  it('keeps the limits of a plan since removed from the catalog', () => {
    const withLegacy = Catalog.from({
      ...demoCatalog,
      plans: { ...demoCatalog.plans, legacy_pro: { ...demoCatalog.plans.standard, name: 'Legacy Pro' } },
    });
    const current = Catalog.from(demoCatalog).withPlanVersions([
      { hash: withLegacy.hash, definition: withLegacy.definition },
    ]);
    expect(current.plan('legacy_pro')).toBeUndefined();
    const code = current.effectivePlanCode('legacy_pro', withLegacy.hash);
    expect(current.plan(code)?.name).toBe('Legacy Pro');
    expect(current.planFeature(code, 'priority_support')).toBe(true);
  });

  it('skips a stored definition today’s schema cannot read', () => {
    const current = Catalog.from(demoCatalog).withPlanVersions([
      { hash: 'broken', definition: { plans: 42 } },
    ]);
    expect(current.effectivePlanCode('standard', 'broken')).toBe('standard');
  });
});
