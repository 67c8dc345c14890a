import { describe, expect, it } from 'vitest';
import {
  decideStripeSubscription,
  type StripeSubscriptionSnapshot,
  type TollgateSubscriptionState,
  tollgateStatusOf,
} from '../src/index.js';

const period = { start: new Date('2026-12-01T00:00:00Z'), end: new Date('2027-01-01T00:00:00Z') };
const next = { start: new Date('2027-01-01T00:00:00Z'), end: new Date('2027-02-01T00:00:00Z') };

const snapshot = (overrides: Partial<StripeSubscriptionSnapshot> = {}): StripeSubscriptionSnapshot => ({
  id: 'sub_1',
  status: 'active',
  plan: { plan: 'standard', interval: 'month' },
  priceId: 'price_standard',
  currentPeriod: period,
  trialEnd: null,
  cancelAtPeriodEnd: false,
  endedAt: null,
  scheduleId: null,
  scheduledChange: null,
  ...overrides,
});

const row = (overrides: Partial<TollgateSubscriptionState> = {}): TollgateSubscriptionState => ({
  id: 'sub_tg',
  plan: 'standard',
  interval: 'month',
  status: 'active',
  source: 'stripe',
  stripeSubscriptionId: 'sub_1',
  stripeStatus: 'active',
  stripePriceId: 'price_standard',
  currentPeriod: period,
  trialEnd: null,
  cancelAtPeriodEnd: false,
  scheduleId: null,
  scheduledChange: null,
  ...overrides,
});

const decide = (current: TollgateSubscriptionState | null, state: StripeSubscriptionSnapshot) =>
  decideStripeSubscription({ current, snapshot: state, defaultPlan: 'free' });

describe('Stripe subscription statuses in Tollgate’s words', () => {
  it('maps live statuses as they are and a paused trial to unpaid', () => {
    for (const status of ['trialing', 'active', 'past_due', 'unpaid', 'incomplete'] as const) {
      expect(tollgateStatusOf(snapshot({ status }))).toBe(status);
    }
    expect(tollgateStatusOf(snapshot({ status: 'paused' }))).toBe('unpaid');
    expect(tollgateStatusOf(snapshot({ status: 'incomplete_expired' }))).toBeNull();
  });

  it('calls a subscription that ran to its period end expired, and one ended early canceled', () => {
    expect(
      tollgateStatusOf(snapshot({ status: 'canceled', cancelAtPeriodEnd: true, endedAt: period.end })),
    ).toBe('expired');
    expect(
      tollgateStatusOf(snapshot({ status: 'canceled', endedAt: new Date('2026-12-10T00:00:00Z') })),
    ).toBe('canceled');
  });
});

describe('deciding what a Stripe subscription means for Tollgate', () => {
  it('starts a subscription that is trialing or active, with a created history entry', () => {
    const decision = decide(null, snapshot({ status: 'trialing', trialEnd: period.end }));
    expect(decision.kind).toBe('start');
    if (decision.kind !== 'start') return;
    expect(decision.fields).toMatchObject({
      plan: 'standard',
      status: 'trialing',
      stripeSubscriptionId: 'sub_1',
    });
    expect(decision.history.map((entry) => entry.change)).toEqual(['created']);
  });

  it('does not take an organization off its plan for a subscription still waiting for its first payment', () => {
    expect(decide(null, snapshot({ status: 'incomplete' })).kind).toBe('unchanged');
    expect(decide(null, snapshot({ status: 'incomplete_expired' })).kind).toBe('unchanged');
    expect(decide(null, snapshot({ status: 'canceled', endedAt: period.end })).kind).toBe('unchanged');
  });

  it('reports a price that is no catalog plan instead of guessing', () => {
    expect(decide(row(), snapshot({ plan: null, priceId: 'price_x' }))).toEqual({
      kind: 'plan_unknown',
      priceId: 'price_x',
    });
  });

  it('records a renewal, a status change and a plan change, and nothing when nothing changed', () => {
    expect(decide(row(), snapshot()).kind).toBe('unchanged');
    const renewed = decide(
      row({ status: 'trialing', stripeStatus: 'trialing' }),
      snapshot({ currentPeriod: next }),
    );
    expect(renewed.kind === 'update' && renewed.history.map((entry) => entry.change)).toEqual([
      'status_changed',
      'renewed',
    ]);
    const upgraded = decide(row(), snapshot({ plan: { plan: 'enterprise', interval: 'month' } }));
    expect(upgraded.kind === 'update' && upgraded.history.map((entry) => entry.change)).toEqual([
      'plan_changed',
    ]);
    expect(upgraded.kind === 'update' && upgraded.fields.currentPeriod).toEqual(period);
  });

  it('records the same plan moved to a newer price (a migration to the plan’s current version)', () => {
    const migrated = decide(row(), snapshot({ priceId: 'price_standard_2027' }));
    expect(migrated.kind === 'update' && migrated.history.map((entry) => entry.change)).toEqual([
      'price_changed',
    ]);
  });

  it('records a cancellation scheduled and withdrawn', () => {
    const scheduled = decide(row(), snapshot({ cancelAtPeriodEnd: true }));
    expect(scheduled.kind === 'update' && scheduled.history.map((entry) => entry.change)).toEqual([
      'cancel_scheduled',
    ]);
    const withdrawn = decide(row({ cancelAtPeriodEnd: true }), snapshot());
    expect(withdrawn.kind === 'update' && withdrawn.history.map((entry) => entry.change)).toEqual([
      'cancel_withdrawn',
    ]);
  });

  it('records a downgrade scheduled, and its taking effect as a plan change rather than a withdrawal', () => {
    const change = { plan: 'standard', interval: 'month' as const, at: period.end };
    const scheduled = decide(
      row({ plan: 'enterprise' }),
      snapshot({
        plan: { plan: 'enterprise', interval: 'month' },
        scheduleId: 'sub_sched_1',
        scheduledChange: change,
      }),
    );
    expect(scheduled.kind === 'update' && scheduled.history.map((entry) => entry.change)).toEqual([
      'change_scheduled',
    ]);
    const applied = decide(
      row({ plan: 'enterprise', scheduleId: 'sub_sched_1', scheduledChange: change }),
      snapshot({ currentPeriod: next }),
    );
    expect(applied.kind === 'update' && applied.history.map((entry) => entry.change)).toEqual([
      'plan_changed',
      'renewed',
    ]);
    const withdrawn = decide(
      row({ plan: 'enterprise', scheduleId: 'sub_sched_1', scheduledChange: change }),
      snapshot({ plan: { plan: 'enterprise', interval: 'month' } }),
    );
    expect(withdrawn.kind === 'update' && withdrawn.history.map((entry) => entry.change)).toEqual([
      'change_withdrawn',
    ]);
  });

  it('ends a subscription and names the default plan to fall back to', () => {
    const ended = decide(
      row(),
      snapshot({ status: 'canceled', cancelAtPeriodEnd: true, endedAt: period.end }),
    );
    expect(ended.kind).toBe('end');
    if (ended.kind !== 'end') return;
    expect(ended.fallbackPlan).toBe('free');
    expect(ended.fields).toMatchObject({ status: 'expired', endedAt: period.end });
    expect(ended.history.map((entry) => entry.change)).toEqual(['ended']);
  });
});
