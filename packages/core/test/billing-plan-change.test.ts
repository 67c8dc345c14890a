import { describe, expect, it } from 'vitest';
import {
  Catalog,
  decidePlanChange,
  demoCatalog,
  subscriptionCheckoutRefusal,
  subscriptionCreditsForPaidInvoice,
  yearlyAmount,
} from '../src/index.js';

const catalog = Catalog.from(demoCatalog);

describe('plan changes', () => {
  it('applies a move to more per year now, and one to less at the period end', () => {
    expect(
      decidePlanChange(
        catalog,
        { plan: 'standard', interval: 'month' },
        { plan: 'enterprise', interval: 'month' },
      ),
    ).toEqual({
      ok: true,
      timing: 'now',
      direction: 'upgrade',
    });
    expect(
      decidePlanChange(
        catalog,
        { plan: 'enterprise', interval: 'month' },
        { plan: 'standard', interval: 'month' },
      ),
    ).toEqual({
      ok: true,
      timing: 'period_end',
      direction: 'downgrade',
    });
    // Standard yearly (990.00) costs less per year than enterprise monthly (5,988.00), but more than standard monthly.
    expect(
      decidePlanChange(
        catalog,
        { plan: 'enterprise', interval: 'month' },
        { plan: 'standard', interval: 'year' },
      ),
    ).toMatchObject({
      timing: 'period_end',
    });
    expect(
      decidePlanChange(
        catalog,
        { plan: 'standard', interval: 'month' },
        { plan: 'standard', interval: 'year' },
      ),
    ).toEqual({
      ok: true,
      timing: 'now',
      direction: 'interval_change',
    });
    expect(
      decidePlanChange(
        catalog,
        { plan: 'standard', interval: 'year' },
        { plan: 'standard', interval: 'month' },
      ),
    ).toMatchObject({
      timing: 'period_end',
    });
  });

  it('refuses what is not a change, a free plan, an unknown plan and a change off a retired plan', () => {
    const codeOf = (from: string, to: string) => {
      const decision = decidePlanChange(
        catalog,
        { plan: from, interval: 'month' },
        { plan: to, interval: 'month' },
      );
      return decision.ok ? 'ok' : decision.code;
    };
    expect(codeOf('standard', 'standard')).toBe('no_change');
    expect(codeOf('standard', 'free')).toBe('free_plan');
    expect(codeOf('standard', 'platinum')).toBe('unknown_plan');
    expect(codeOf('standard', 'toString')).toBe('unknown_plan');
    expect(codeOf('legacy_pro', 'enterprise')).toBe('legacy_plan');
  });

  it('compares plans by what they cost over a year, in minor units', () => {
    const standard = catalog.plan('standard');
    expect(standard && yearlyAmount(standard, 'month')).toBe(118_800);
    expect(standard && yearlyAmount(standard, 'year')).toBe(99_000);
  });
});

describe('subscription Checkout eligibility', () => {
  it('refuses a second paid subscription and a retired plan, and lets the free plan or a lapsed one check out', () => {
    expect(subscriptionCheckoutRefusal(catalog, null)).toBeNull();
    expect(
      subscriptionCheckoutRefusal(catalog, { plan: 'free', status: 'active', source: 'default' }),
    ).toBeNull();
    for (const status of ['trialing', 'active', 'past_due'] as const) {
      expect(subscriptionCheckoutRefusal(catalog, { plan: 'standard', status, source: 'stripe' })?.code).toBe(
        'use_plan_change',
      );
    }
    expect(
      subscriptionCheckoutRefusal(catalog, { plan: 'standard', status: 'unpaid', source: 'stripe' }),
    ).toBeNull();
    expect(
      subscriptionCheckoutRefusal(catalog, { plan: 'legacy_pro', status: 'active', source: 'manual' })?.code,
    ).toBe('legacy_plan');
  });
});

describe('subscription credits for a paid invoice', () => {
  const now = new Date('2026-12-15T00:00:00Z');
  const period = { start: new Date('2026-12-01T00:00:00Z'), end: new Date('2027-01-01T00:00:00Z') };

  it('grants a paid period the plan’s credits once, expiring at its end', () => {
    const grants = subscriptionCreditsForPaidInvoice({
      catalog,
      subscriptionId: 'sub_tg',
      lines: [{ plan: 'standard', period, proration: false, amount: 9_900 }],
      now,
    });
    expect(grants).toEqual([
      {
        amount: 10_000,
        grantedAt: period.start,
        expiresAt: period.end,
        idempotencyKey: 'subscription:sub_tg:2026-12-01T00:00:00.000Z:standard',
        plan: 'standard',
      },
    ]);
  });

  it('grants nothing for a trial (a zero line) or a period already over', () => {
    const trial = [{ plan: 'standard', period, proration: false, amount: 0 }];
    expect(subscriptionCreditsForPaidInvoice({ catalog, subscriptionId: 's', lines: trial, now })).toEqual(
      [],
    );
    const late = [{ plan: 'standard', period, proration: false, amount: 9_900 }];
    expect(
      subscriptionCreditsForPaidInvoice({ catalog, subscriptionId: 's', lines: late, now: period.end }),
    ).toEqual([]);
  });

  it('tops an upgrade up by the difference between the two plans’ allowances', () => {
    const rest = { start: now, end: period.end };
    const grants = subscriptionCreditsForPaidInvoice({
      catalog,
      subscriptionId: 'sub_tg',
      lines: [
        { plan: 'standard', period: rest, proration: true, amount: -5_000 },
        { plan: 'enterprise', period: rest, proration: true, amount: 25_000 },
      ],
      now,
    });
    expect(grants).toHaveLength(1);
    expect(grants[0]).toMatchObject({
      amount: 90_000,
      plan: 'enterprise',
      grantedAt: now,
      expiresAt: period.end,
    });
    expect(grants[0]?.idempotencyKey).toBe(`subscription:sub_tg:${now.toISOString()}:upgrade:enterprise`);
  });
});
