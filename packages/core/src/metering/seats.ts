import type { PlanFeature } from '../catalog/schema.js';
import type { DecimalInput } from '../decimal.js';
import { type CheckDecision, decideCheck } from './check.js';

export type SeatInput = {
  /** The plan's `seats` grant. */
  planFeature: PlanFeature | undefined;
  /** Members the organization has now. */
  members: number;
  /** Seats asked for: 1 for a new member. */
  quantity: DecimalInput;
  defaultGracePercent: number;
  subscriptionActive: boolean;
};

/**
 * The one seat rule, for `/v1/check` on seats and for adding a member alike: seats are the
 * organization's members, decided as any metered use (hard cap, soft cap with grace or overage).
 */
export function decideSeats(input: SeatInput): CheckDecision {
  return decideCheck({
    planFeature: input.planFeature,
    used: input.members,
    quantity: input.quantity,
    defaultGracePercent: input.defaultGracePercent,
    subscriptionActive: input.subscriptionActive,
  });
}

/**
 * Whether a seat decision keeps a new member out: only a reached limit does. An inactive subscription
 * or a plan without seats still lets members in, since someone must be able to manage the billing.
 */
export const seatLimitReached = (decision: CheckDecision) =>
  !decision.allowed && decision.reason === 'limit_exceeded';
