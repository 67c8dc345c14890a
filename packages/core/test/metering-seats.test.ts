import { describe, expect, it } from 'vitest';
import type { PlanFeature } from '../src/catalog/schema.js';
import { decideSeats, seatLimitReached } from '../src/metering/seats.js';

const seatsOf = (planFeature: PlanFeature | undefined, members: number, subscriptionActive = true) =>
  decideSeats({ planFeature, members, quantity: 1, defaultGracePercent: 10, subscriptionActive });

describe('one seat decision for /v1/check and new members', () => {
  it('hard cap: the last seat is taken, then the limit keeps new members out', () => {
    const hard: PlanFeature = { included: '3', cap: 'hard', overage: null };
    expect(seatsOf(hard, 2).allowed).toBe(true);
    expect(seatLimitReached(seatsOf(hard, 2))).toBe(false);
    expect(seatsOf(hard, 3)).toMatchObject({ allowed: false, reason: 'limit_exceeded' });
    expect(seatLimitReached(seatsOf(hard, 3))).toBe(true);
  });

  it('soft cap without overage: the grace admits members, past it they are kept out as the check says', () => {
    const soft: PlanFeature = { included: '10', cap: 'soft', overage: null, grace_percent: 20 };
    expect(seatLimitReached(seatsOf(soft, 11))).toBe(false);
    expect(seatLimitReached(seatsOf(soft, 12))).toBe(true);
  });

  it('soft cap with overage admits every member (billed), and neither an inactive plan nor a plan without seats keeps members out', () => {
    const billed: PlanFeature = {
      included: '5',
      cap: 'soft',
      overage: { model: 'per_unit', unit_amount: '500' },
    };
    expect(seatLimitReached(seatsOf(billed, 50))).toBe(false);
    const inactive = seatsOf({ included: '3', cap: 'hard', overage: null }, 0, false);
    expect(inactive).toMatchObject({ allowed: false, reason: 'subscription_inactive' });
    expect(seatLimitReached(inactive)).toBe(false);
    expect(seatLimitReached(seatsOf(undefined, 0))).toBe(false);
  });
});
