import type Stripe from 'stripe';
import { errors } from '../http/errors.js';
import type { Sandbox } from '../sandbox.js';
import type { Wire } from '../wire.js';

export type Coupon = Wire<Stripe.Coupon>;
export type PromotionCode = Wire<Stripe.PromotionCode>;

/** A coupon by id, deleted ones included: discounts already granted keep working after a delete. */
export function couponById(sandbox: Sandbox, id: string): Coupon | undefined {
  return sandbox.store.get<Coupon>('coupons', id) ?? sandbox.store.get<Coupon>('_deleted_coupons', id);
}

/** Stripe's `valid`: not past `redeem_by` and not redeemed `max_redemptions` times. */
export function couponIsValid(coupon: Coupon, now: number): boolean {
  if (coupon.redeem_by !== null && now > coupon.redeem_by) return false;
  if (coupon.max_redemptions !== null && coupon.times_redeemed >= coupon.max_redemptions) return false;
  return true;
}

export interface DiscountRequest {
  coupon?: string;
  promotion_code?: string;
}

export interface ResolvedDiscount {
  coupon: Coupon;
  promotionCode: PromotionCode | null;
}

interface RedemptionContext {
  customer: string | null;
  currency: string | null;
  /** What is due before any discount, for a promotion code's `minimum_amount`. */
  amount: number;
  now: number;
}

function hasPriorPayments(sandbox: Sandbox, customer: string): boolean {
  return sandbox.store
    .all<Wire<Stripe.PaymentIntent>>('payment_intents')
    .some((intent) => intent.customer === customer && intent.status === 'succeeded');
}

function checkPromotionCode(
  sandbox: Sandbox,
  code: PromotionCode,
  context: RedemptionContext,
  param: string,
): void {
  const refuse = (message: string) => errors.invalidValue(param, message);
  if (!code.active) throw refuse(`The promotion code \`${code.code}\` is not active.`);
  if (code.expires_at !== null && context.now > code.expires_at)
    throw refuse(`The promotion code \`${code.code}\` has expired.`);
  if (code.max_redemptions !== null && code.times_redeemed >= code.max_redemptions)
    throw refuse(`The promotion code \`${code.code}\` has been fully redeemed.`);
  if (code.customer !== null && code.customer !== context.customer)
    throw refuse(`The promotion code \`${code.code}\` is restricted to another customer.`);
  const restrictions = code.restrictions;
  if (
    restrictions.first_time_transaction &&
    context.customer &&
    hasPriorPayments(sandbox, context.customer)
  ) {
    throw refuse(
      `The promotion code \`${code.code}\` cannot be redeemed because the customer has prior transactions.`,
    );
  }
  if (
    restrictions.minimum_amount !== null &&
    restrictions.minimum_amount_currency === context.currency &&
    context.amount < restrictions.minimum_amount
  ) {
    throw refuse(
      `The promotion code \`${code.code}\` needs a minimum amount of ${restrictions.minimum_amount} ${restrictions.minimum_amount_currency}.`,
    );
  }
}

/**
 * Reads `discounts[i][coupon]` or `discounts[i][promotion_code]` and checks the discount may be redeemed
 * here (valid coupon, matching currency, the promotion code's restrictions).
 */
export function resolveDiscount(
  sandbox: Sandbox,
  request: DiscountRequest,
  context: RedemptionContext,
  param: string,
): ResolvedDiscount {
  if (request.coupon && request.promotion_code) {
    throw errors.invalidValue(param, 'You may only specify one of these parameters: coupon, promotion_code.');
  }
  let promotionCode: PromotionCode | null = null;
  let couponId = request.coupon;
  let couponParam = `${param}[coupon]`;
  if (request.promotion_code) {
    promotionCode = sandbox.store.require<PromotionCode>(
      'promotion_codes',
      request.promotion_code,
      'promotion code',
      `${param}[promotion_code]`,
    );
    checkPromotionCode(sandbox, promotionCode, context, `${param}[promotion_code]`);
    couponId = promotionCode.promotion.coupon as string;
    couponParam = `${param}[promotion_code]`;
  }
  if (!couponId) throw errors.missingParameter(`${param}[coupon]`);
  const coupon = sandbox.store.require<Coupon>('coupons', couponId, 'coupon', couponParam);
  if (!couponIsValid(coupon, context.now))
    throw errors.invalidValue(couponParam, `Coupon expired: ${coupon.id}`);
  if (coupon.amount_off !== null && context.currency !== null && coupon.currency !== context.currency) {
    throw errors.invalidValue(
      couponParam,
      `The coupon ${coupon.id} is in ${coupon.currency}, but this is charged in ${context.currency}.`,
    );
  }
  return { coupon, promotionCode };
}

/** Counts one redemption on the coupon and on the promotion code it came through. */
export function redeem(sandbox: Sandbox, resolved: ResolvedDiscount, now: number): void {
  const { coupon, promotionCode } = resolved;
  coupon.times_redeemed += 1;
  coupon.valid = couponIsValid(coupon, now);
  sandbox.store.put('coupons', coupon);
  if (promotionCode) {
    promotionCode.times_redeemed += 1;
    sandbox.store.put('promotion_codes', promotionCode);
  }
}

/** An active promotion code by the code a customer types (codes are case-insensitive, as on Stripe). */
export function promotionCodeByCode(sandbox: Sandbox, code: string): PromotionCode | undefined {
  const wanted = code.trim().toUpperCase();
  return sandbox.store
    .all<PromotionCode>('promotion_codes')
    .find((candidate) => candidate.active && candidate.code.toUpperCase() === wanted);
}
