import type Stripe from 'stripe';
import { Fraction } from '../arithmetic/fraction.js';
import type { Sandbox } from '../sandbox.js';
import { newId } from '../state/ids.js';
import type { Wire } from '../wire.js';
import { type Coupon, couponById, type ResolvedDiscount, redeem } from './coupons.js';
import { addInterval } from './periods.js';

export type Discount = Wire<Stripe.Discount>;

/** Where a discount was granted; exactly the owner fields Stripe's Discount object names. */
export interface DiscountOwner {
  customer: string | null;
  subscription?: string | null;
  checkoutSession?: string | null;
  invoice?: string | null;
}

/** Grants a discount (counting the redemption): `repeating` coupons end after their months. */
export function grantDiscount(
  sandbox: Sandbox,
  resolved: ResolvedDiscount,
  owner: DiscountOwner,
  now: number,
): Discount {
  const { coupon, promotionCode } = resolved;
  const discount: Discount = {
    id: newId('di'),
    object: 'discount',
    checkout_session: owner.checkoutSession ?? null,
    customer: owner.customer,
    customer_account: null,
    end:
      coupon.duration === 'repeating' && coupon.duration_in_months !== null
        ? addInterval(now, 'month', coupon.duration_in_months)
        : null,
    invoice: owner.invoice ?? null,
    invoice_item: null,
    promotion_code: promotionCode?.id ?? null,
    source: { coupon: coupon.id, type: 'coupon' },
    start: now,
    subscription: owner.subscription ?? null,
    subscription_item: null,
  };
  sandbox.store.insert('discounts', discount);
  redeem(sandbox, resolved, now);
  return discount;
}

export function couponOfDiscount(sandbox: Sandbox, discount: Discount): Coupon | undefined {
  return couponById(sandbox, discount.source.coupon as string);
}

/** The subscription's discounts that still apply at `now` (a `repeating` one stops at its `end`). */
export function activeSubscriptionDiscounts(
  sandbox: Sandbox,
  subscriptionId: string | null,
  now: number,
): Discount[] {
  if (!subscriptionId) return [];
  const subscription = sandbox.store.get<Wire<Stripe.Subscription>>('subscriptions', subscriptionId);
  return (subscription?.discounts ?? [])
    .map((id) => sandbox.store.get<Discount>('discounts', id as string))
    .filter((discount): discount is Discount => discount !== undefined)
    .filter((discount) => discount.end === null || now < discount.end);
}

/**
 * How much of each line one coupon takes off. `percent_off` takes its share of every eligible line
 * (credits included); `amount_off` takes at most what the eligible lines add up to, split in
 * proportion to the positive lines, the rounding remainder on the largest.
 */
export function allocateDiscount(
  amounts: number[],
  eligible: boolean[],
  coupon: Pick<Coupon, 'percent_off' | 'amount_off'>,
): number[] {
  if (coupon.percent_off !== null) {
    return amounts.map((amount, index) =>
      eligible[index]
        ? Fraction.of(amount)
            .times(coupon.percent_off as number)
            .div(100)
            .toMinorUnits()
        : 0,
    );
  }
  const positive = amounts.map((amount, index) => (eligible[index] && amount > 0 ? amount : 0));
  const base = positive.reduce((sum, amount) => sum + amount, 0);
  const eligibleTotal = amounts.reduce((sum, amount, index) => sum + (eligible[index] ? amount : 0), 0);
  const off = Math.min(coupon.amount_off ?? 0, Math.max(0, eligibleTotal));
  if (off === 0 || base === 0) return amounts.map(() => 0);
  const shares = positive.map((amount) => Fraction.of(off).times(amount).div(base).floor().toMinorUnits());
  const largest = positive.indexOf(Math.max(...positive));
  shares[largest] = (shares[largest] as number) + off - shares.reduce((sum, share) => sum + share, 0);
  return shares;
}

export interface AppliedDiscounts {
  /** Per line: the amounts taken off, by discount. */
  perLine: { amount: number; discount: string }[][];
  /** Per discount that took anything off. */
  totals: { amount: number; discount: string }[];
}

/** Applies discounts one after another to what the lines still owe. */
export function applyDiscounts(
  sandbox: Sandbox,
  lines: { amount: number; product: string | null }[],
  discounts: Discount[],
  currency: string,
): AppliedDiscounts {
  const remaining = lines.map((line) => line.amount);
  const perLine: AppliedDiscounts['perLine'] = lines.map(() => []);
  const totals: AppliedDiscounts['totals'] = [];
  for (const discount of discounts) {
    const coupon = couponOfDiscount(sandbox, discount);
    if (!coupon || (coupon.amount_off !== null && coupon.currency !== currency)) continue;
    const products = coupon.applies_to?.products;
    const eligible = lines.map(
      (line) => !products || (line.product !== null && products.includes(line.product)),
    );
    const shares = allocateDiscount(remaining, eligible, coupon);
    let total = 0;
    shares.forEach((share, index) => {
      if (share === 0) return;
      perLine[index]?.push({ amount: share, discount: discount.id });
      remaining[index] = (remaining[index] as number) - share;
      total += share;
    });
    if (total !== 0) totals.push({ amount: total, discount: discount.id });
  }
  return { perLine, totals };
}

/**
 * A `once` coupon is used up by the first invoice it takes something off (a zero trial invoice does
 * not use it): it is then removed from the subscription.
 */
export function useUpOnceDiscounts(
  sandbox: Sandbox,
  subscriptionId: string | null,
  appliedIds: string[],
): void {
  if (!subscriptionId || appliedIds.length === 0) return;
  const subscription = sandbox.store.get<Wire<Stripe.Subscription>>('subscriptions', subscriptionId);
  if (!subscription) return;
  const usedUp = new Set(
    appliedIds.filter((id) => {
      const discount = sandbox.store.get<Discount>('discounts', id);
      return discount && couponOfDiscount(sandbox, discount)?.duration === 'once';
    }),
  );
  if (usedUp.size === 0) return;
  subscription.discounts = subscription.discounts.filter((id) => !usedUp.has(id as string));
  sandbox.store.put('subscriptions', subscription);
}
