import { type Coupon, couponIsValid } from '../billing/coupons.js';
import { errors } from '../http/errors.js';
import { inRange, type ListParams, listParams, paginate } from '../http/list.js';
import { any, arr, int, metadata, obj, oneOf, str, validateParams } from '../http/params.js';
import type { Router } from '../http/router.js';
import type { Sandbox } from '../sandbox.js';
import { randomToken } from '../state/ids.js';
import { deletedObject, mergeMetadata } from './common.js';

interface CreateInput {
  id?: string;
  percent_off?: string;
  amount_off?: number;
  currency?: string;
  duration?: 'once' | 'repeating' | 'forever';
  duration_in_months?: number;
  max_redemptions?: number;
  redeem_by?: number;
  name?: string;
  metadata?: Record<string, string | null>;
  applies_to?: { products?: string[] };
}

function percentOff(text: string | undefined): number | null {
  if (text === undefined) return null;
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(value > 0 && value <= 100)) {
    throw errors.invalidValue('percent_off', 'Invalid percent_off: must be greater than 0 and at most 100');
  }
  return value;
}

/** Stripe's rules: exactly one of `percent_off` and `amount_off` (with `currency`); months only when repeating. */
function checkShape(input: CreateInput): void {
  if (input.percent_off !== undefined && input.amount_off !== undefined) {
    throw errors.invalidValue(
      'amount_off',
      'You may only specify one of these parameters: amount_off, percent_off.',
    );
  }
  if (input.percent_off === undefined && input.amount_off === undefined) {
    throw errors.missingParameter('percent_off');
  }
  if (input.amount_off !== undefined) {
    if (input.amount_off <= 0)
      throw errors.invalidValue('amount_off', 'Invalid amount_off: must be positive');
    if (!input.currency) throw errors.missingParameter('currency');
  }
  const duration = input.duration ?? 'once';
  if (duration === 'repeating' && input.duration_in_months === undefined) {
    throw errors.missingParameter('duration_in_months');
  }
  if (duration !== 'repeating' && input.duration_in_months !== undefined) {
    throw errors.invalidValue(
      'duration_in_months',
      'You can only set `duration_in_months` when `duration` is `repeating`.',
    );
  }
  if (input.duration_in_months !== undefined && input.duration_in_months < 1) {
    throw errors.invalidValue('duration_in_months', 'Invalid duration_in_months: must be at least 1');
  }
}

function createCoupon(sandbox: Sandbox, input: CreateInput): Coupon {
  checkShape(input);
  const id = input.id ?? randomToken(8);
  if (sandbox.store.get('coupons', id) || sandbox.store.get('_deleted_coupons', id)) {
    throw errors.alreadyExists(`Coupon already exists.`, 'id');
  }
  for (const [index, product] of (input.applies_to?.products ?? []).entries()) {
    sandbox.store.require('products', product, 'product', `applies_to[products][${index}]`);
  }
  const now = sandbox.now();
  const coupon: Coupon = {
    id,
    object: 'coupon',
    amount_off: input.amount_off ?? null,
    created: now,
    currency: input.amount_off !== undefined ? (input.currency?.toLowerCase() ?? null) : null,
    duration: input.duration ?? 'once',
    duration_in_months: input.duration_in_months ?? null,
    livemode: false,
    max_redemptions: input.max_redemptions ?? null,
    metadata: mergeMetadata({}, input.metadata),
    name: input.name ?? null,
    percent_off: percentOff(input.percent_off),
    redeem_by: input.redeem_by ?? null,
    times_redeemed: 0,
    valid: true,
  };
  if (input.applies_to?.products) coupon.applies_to = { products: input.applies_to.products };
  coupon.valid = couponIsValid(coupon, now);
  sandbox.store.insert('coupons', coupon);
  sandbox.emit('coupon.created', coupon);
  return coupon;
}

function load(sandbox: Sandbox, id: string): Coupon {
  const coupon = sandbox.store.require<Coupon>('coupons', id, 'coupon');
  coupon.valid = couponIsValid(coupon, sandbox.now());
  return coupon;
}

export function registerCoupons(router: Router): void {
  router.api('POST', '/v1/coupons', ({ sandbox, body }) =>
    createCoupon(
      sandbox,
      validateParams<CreateInput>(
        {
          id: str(),
          percent_off: any(),
          amount_off: int(),
          currency: str(),
          duration: oneOf(['once', 'repeating', 'forever']),
          duration_in_months: int(),
          max_redemptions: int(),
          redeem_by: int(),
          name: str(),
          metadata: metadata(),
          applies_to: obj({ products: arr(str()) }),
        },
        body,
      ),
    ),
  );
  router.api('GET', '/v1/coupons/:id', ({ sandbox, body, params }) => {
    validateParams({}, body);
    return load(sandbox, params.id as string);
  });
  router.api('POST', '/v1/coupons/:id', ({ sandbox, body, params }) => {
    const input = validateParams<{ name?: string; metadata?: Record<string, string | null> | null }>(
      { name: str({ nullable: true }), metadata: metadata() },
      body,
    );
    const coupon = load(sandbox, params.id as string);
    if (input.name !== undefined) coupon.name = input.name;
    if (input.metadata !== undefined) coupon.metadata = mergeMetadata(coupon.metadata, input.metadata);
    sandbox.store.put('coupons', coupon);
    sandbox.emit('coupon.updated', coupon);
    return coupon;
  });
  // Deleting a coupon stops new redemptions; discounts already granted keep applying, as on Stripe.
  router.api('DELETE', '/v1/coupons/:id', ({ sandbox, params }) => {
    const coupon = load(sandbox, params.id as string);
    sandbox.store.remove('coupons', coupon.id);
    sandbox.store.put('_deleted_coupons', { ...coupon, valid: false });
    sandbox.emit('coupon.deleted', coupon);
    return deletedObject(coupon.id, 'coupon');
  });
  router.api('GET', '/v1/coupons', ({ sandbox, body }) => {
    const params = validateParams<ListParams & { created?: unknown }>(
      { ...listParams, created: any() },
      body,
    );
    const rows = sandbox.store
      .all<Coupon>('coupons')
      .filter((row) => inRange(row.created, params.created))
      .map((row) => ({ ...row, valid: couponIsValid(row, sandbox.now()) }));
    return paginate(rows, params, '/v1/coupons');
  });
}
