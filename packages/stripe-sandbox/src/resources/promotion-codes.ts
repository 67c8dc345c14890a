import { type Coupon, type PromotionCode, promotionCodeByCode } from '../billing/coupons.js';
import { errors } from '../http/errors.js';
import { inRange, type ListParams, listParams, paginate } from '../http/list.js';
import { any, bool, int, metadata, obj, oneOf, required, str, validateParams } from '../http/params.js';
import type { Router } from '../http/router.js';
import type { Sandbox } from '../sandbox.js';
import { newId, randomToken } from '../state/ids.js';
import { mergeMetadata } from './common.js';

interface CreateInput {
  /** Since API version 2025-09-30 the coupon is nested here; a top-level `coupon` is refused. */
  promotion: { type: 'coupon'; coupon?: string };
  code?: string;
  active?: boolean;
  customer?: string;
  expires_at?: number;
  max_redemptions?: number;
  metadata?: Record<string, string | null>;
  restrictions?: {
    first_time_transaction?: boolean;
    minimum_amount?: number;
    minimum_amount_currency?: string;
  };
}

const CODE = /^[a-zA-Z0-9_-]{1,500}$/;

function createPromotionCode(sandbox: Sandbox, input: CreateInput): PromotionCode {
  const couponId = input.promotion.coupon;
  if (!couponId) throw errors.missingParameter('promotion[coupon]');
  const coupon = sandbox.store.require<Coupon>('coupons', couponId, 'coupon', 'promotion[coupon]');
  if (input.customer) sandbox.store.require('customers', input.customer, 'customer', 'customer');
  const code = input.code ?? randomToken(8).toUpperCase();
  if (!CODE.test(code)) {
    throw errors.invalidValue(
      'code',
      'Promotion codes may only contain letters, digits, dashes and underscores.',
    );
  }
  const active = input.active ?? true;
  if (active && promotionCodeByCode(sandbox, code)) {
    throw errors.alreadyExists(`An active promotion code with \`code: ${code}\` already exists.`, 'code');
  }
  const restrictions = input.restrictions ?? {};
  if (restrictions.minimum_amount !== undefined && !restrictions.minimum_amount_currency) {
    throw errors.missingParameter('restrictions[minimum_amount_currency]');
  }
  const promotionCode: PromotionCode = {
    id: newId('promo'),
    object: 'promotion_code',
    active,
    code,
    created: sandbox.now(),
    customer: input.customer ?? null,
    customer_account: null,
    expires_at: input.expires_at ?? null,
    livemode: false,
    max_redemptions: input.max_redemptions ?? null,
    metadata: mergeMetadata({}, input.metadata),
    promotion: { coupon: coupon.id, type: 'coupon' },
    restrictions: {
      first_time_transaction: restrictions.first_time_transaction ?? false,
      minimum_amount: restrictions.minimum_amount ?? null,
      minimum_amount_currency: restrictions.minimum_amount_currency?.toLowerCase() ?? null,
    },
    times_redeemed: 0,
  };
  sandbox.store.insert('promotion_codes', promotionCode);
  sandbox.emit('promotion_code.created', promotionCode);
  return promotionCode;
}

function load(sandbox: Sandbox, id: string): PromotionCode {
  return sandbox.store.require<PromotionCode>('promotion_codes', id, 'promotion code');
}

export function registerPromotionCodes(router: Router): void {
  router.api('POST', '/v1/promotion_codes', ({ sandbox, body }) =>
    createPromotionCode(
      sandbox,
      validateParams<CreateInput>(
        {
          promotion: required(obj({ type: required(oneOf(['coupon'])), coupon: str() })),
          code: str(),
          active: bool(),
          customer: str(),
          expires_at: int(),
          max_redemptions: int(),
          metadata: metadata(),
          restrictions: obj({
            first_time_transaction: bool(),
            minimum_amount: int(),
            minimum_amount_currency: str(),
          }),
        },
        body,
      ),
    ),
  );
  router.api('GET', '/v1/promotion_codes/:id', ({ sandbox, body, params }) => {
    validateParams({}, body);
    return load(sandbox, params.id as string);
  });
  router.api('POST', '/v1/promotion_codes/:id', ({ sandbox, body, params }) => {
    const input = validateParams<{ active?: boolean; metadata?: Record<string, string | null> | null }>(
      { active: bool(), metadata: metadata() },
      body,
    );
    const promotionCode = load(sandbox, params.id as string);
    if (input.active === true && !promotionCode.active && promotionCodeByCode(sandbox, promotionCode.code)) {
      throw errors.alreadyExists(
        `An active promotion code with \`code: ${promotionCode.code}\` already exists.`,
        'active',
      );
    }
    if (input.active !== undefined) promotionCode.active = input.active;
    if (input.metadata !== undefined)
      promotionCode.metadata = mergeMetadata(promotionCode.metadata, input.metadata);
    sandbox.store.put('promotion_codes', promotionCode);
    sandbox.emit('promotion_code.updated', promotionCode);
    return promotionCode;
  });
  router.api('GET', '/v1/promotion_codes', ({ sandbox, body }) => {
    const params = validateParams<
      ListParams & { active?: boolean; code?: string; coupon?: string; customer?: string; created?: unknown }
    >({ ...listParams, active: bool(), code: str(), coupon: str(), customer: str(), created: any() }, body);
    const rows = sandbox.store
      .all<PromotionCode>('promotion_codes')
      .filter(
        (row) =>
          (params.active === undefined || row.active === params.active) &&
          (params.code === undefined || row.code.toUpperCase() === params.code.toUpperCase()) &&
          (params.coupon === undefined || row.promotion.coupon === params.coupon) &&
          (params.customer === undefined || row.customer === params.customer) &&
          inRange(row.created, params.created),
      );
    return paginate(rows, params, '/v1/promotion_codes');
  });
}
