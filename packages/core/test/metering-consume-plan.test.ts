import { describe, expect, it } from 'vitest';
import type { Aggregation, PlanFeature } from '../src/catalog/schema.js';
import { toDecimal } from '../src/decimal.js';
import { isConsumable, usageAfterUse } from '../src/metering/aggregation.js';
import { type ConsumeRequest, planConsumes } from '../src/metering/consume-plan.js';

const hard: PlanFeature = { included: '10', cap: 'hard', overage: null };
const softWithoutOverage: PlanFeature = { included: '10', cap: 'soft', overage: null };

function request(
  counter: string,
  quantity: string,
  ...grant: [PlanFeature | undefined] | []
): ConsumeRequest {
  const planFeature = grant.length === 0 ? hard : grant[0];
  return {
    counter,
    quantity: toDecimal(quantity),
    aggregation: 'sum',
    planFeature,
    subscriptionActive: true,
    defaultGracePercent: 10,
    alertThresholds: [80, 100, 120],
  };
}

describe('planConsumes', () => {
  it('lets consumes on one counter see the ones before them, and never passes a hard limit', () => {
    const plan = planConsumes(
      [request('a', '4'), request('a', '4'), request('a', '4'), request('a', '2')],
      new Map([['a', toDecimal(0)]]),
    );
    expect(plan.outcomes.map((outcome) => outcome.moved)).toEqual([true, true, false, true]);
    expect(plan.outcomes.map((outcome) => outcome.usedAfter.toFixed())).toEqual(['4', '8', '8', '10']);
    expect(plan.outcomes[2]?.decision.reason).toBe('limit_exceeded');
    expect(plan.movedCounters.get('a')?.toFixed()).toBe('10');
  });

  it('keeps counters apart and starts a missing counter at zero', () => {
    const plan = planConsumes([request('a', '9'), request('b', '9'), request('a', '2')], new Map());
    expect(plan.outcomes.map((outcome) => outcome.moved)).toEqual([true, true, false]);
    expect(plan.movedCounters.get('a')?.toFixed()).toBe('9');
    expect(plan.movedCounters.get('b')?.toFixed()).toBe('9');
  });

  it('reports each alert threshold at the consume that crosses it, and only there', () => {
    const plan = planConsumes(
      [request('a', '7.5'), request('a', '0.5'), request('a', '1'), request('a', '1')],
      new Map([['a', toDecimal(0)]]),
    );
    expect(plan.outcomes.map((outcome) => outcome.crossedThresholds)).toEqual([[], [80], [], [100]]);
  });

  it('allows a soft cap without overage up to the grace and moves nothing when denied for the plan', () => {
    const soft = planConsumes(
      [request('a', '11', softWithoutOverage), request('a', '0.01', softWithoutOverage)],
      new Map([['a', toDecimal(0)]]),
    );
    expect(soft.outcomes.map((outcome) => outcome.moved)).toEqual([true, false]);
    const absent = planConsumes([request('a', '1', undefined)], new Map([['a', toDecimal(3)]]));
    expect(absent.outcomes[0]).toMatchObject({ moved: false, decision: { reason: 'feature_not_in_plan' } });
    expect(absent.outcomes[0]?.usedAfter.toFixed()).toBe('3');
    expect(absent.movedCounters.size).toBe(0);
    const inactive = planConsumes([{ ...request('a', '1'), subscriptionActive: false }], new Map());
    expect(inactive.outcomes[0]).toMatchObject({
      moved: false,
      decision: { reason: 'subscription_inactive' },
    });
  });
});

describe('consumes honour the feature aggregation', () => {
  const of = (aggregation: ConsumeRequest['aggregation'], quantity: string): ConsumeRequest => ({
    ...request('c', quantity),
    aggregation,
  });
  const usedAfter = (plan: ReturnType<typeof planConsumes>) =>
    plan.outcomes.map((outcome) => [outcome.decision.allowed, outcome.usedAfter.toFixed()]);

  it('latest: two consumes of 3 leave 3, and a level above the limit is denied whatever came before', () => {
    const plan = planConsumes(
      [of('latest', '3'), of('latest', '3'), of('latest', '11'), of('latest', '2')],
      new Map(),
    );
    expect(usedAfter(plan)).toEqual([
      [true, '3'],
      [true, '3'],
      [false, '3'],
      [true, '2'],
    ]);
    expect(plan.movedCounters.get('c')?.toFixed()).toBe('2');
  });

  it('max keeps the larger level, count adds one use per consume, sum adds the quantity', () => {
    expect(usedAfter(planConsumes([of('max', '6'), of('max', '4'), of('max', '11')], new Map()))).toEqual([
      [true, '6'],
      [true, '6'],
      [false, '6'],
    ]);
    expect(usedAfter(planConsumes([of('count', '5'), of('count', '5')], new Map()))).toEqual([
      [true, '1'],
      [true, '2'],
    ]);
    expect(usedAfter(planConsumes([of('sum', '5'), of('sum', '5'), of('sum', '1')], new Map()))).toEqual([
      [true, '5'],
      [true, '10'],
      [false, '10'],
    ]);
  });

  it('refuses to consume distinct values', () => {
    expect(isConsumable('unique_count')).toBe(false);
    expect(
      ['sum', 'count', 'max', 'latest'].every((aggregation) => isConsumable(aggregation as Aggregation)),
    ).toBe(true);
    expect(usageAfterUse('latest', toDecimal(9), toDecimal(1)).toFixed()).toBe('1');
  });
});
