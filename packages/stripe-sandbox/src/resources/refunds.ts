import type Stripe from 'stripe';
import type { PaymentIntent } from '../billing/payments.js';
import { createRefund, intentOfCharge, type Refund } from '../billing/refunds.js';
import { errors } from '../http/errors.js';
import { inRange, type ListParams, listParams, paginate } from '../http/list.js';
import { any, int, metadata, oneOf, str, validateParams } from '../http/params.js';
import type { Router } from '../http/router.js';
import { mergeMetadata } from './common.js';

interface CreateInput {
  payment_intent?: string;
  charge?: string;
  amount?: number;
  reason?: Stripe.RefundCreateParams.Reason;
  metadata?: Record<string, string | null>;
}

export function registerRefunds(router: Router): void {
  router.api('POST', '/v1/refunds', ({ sandbox, body }) => {
    const input = validateParams<CreateInput>(
      {
        payment_intent: str(),
        charge: str(),
        amount: int(),
        reason: oneOf(['duplicate', 'fraudulent', 'requested_by_customer']),
        metadata: metadata(),
      },
      body,
    );
    let intent: PaymentIntent;
    if (input.payment_intent) {
      intent = sandbox.store.require<PaymentIntent>(
        'payment_intents',
        input.payment_intent,
        'payment_intent',
        'payment_intent',
      );
      if (input.charge && intent.latest_charge !== input.charge) {
        throw errors.invalidValue('charge', `The charge ${input.charge} does not belong to ${intent.id}.`);
      }
    } else if (input.charge) {
      intent = intentOfCharge(sandbox, input.charge, 'charge');
    } else {
      throw errors.invalidRequest('One of `charge` or `payment_intent` is required.', 'payment_intent');
    }
    return createRefund(sandbox, {
      intent,
      amount: input.amount,
      reason: input.reason ?? null,
      metadata: mergeMetadata({}, input.metadata),
    });
  });
  router.api('GET', '/v1/refunds/:id', ({ sandbox, body, params }) => {
    validateParams({}, body);
    return sandbox.store.require<Refund>('refunds', params.id as string, 'refund');
  });
  router.api('POST', '/v1/refunds/:id', ({ sandbox, body, params }) => {
    const input = validateParams<{ metadata?: Record<string, string | null> | null }>(
      { metadata: metadata() },
      body,
    );
    const refund = sandbox.store.require<Refund>('refunds', params.id as string, 'refund');
    if (input.metadata !== undefined) refund.metadata = mergeMetadata(refund.metadata, input.metadata);
    sandbox.store.put('refunds', refund);
    return refund;
  });
  router.api('GET', '/v1/refunds', ({ sandbox, body }) => {
    const params = validateParams<
      ListParams & { charge?: string; payment_intent?: string; created?: unknown }
    >({ ...listParams, charge: str(), payment_intent: str(), created: any() }, body);
    const rows = sandbox.store
      .all<Refund>('refunds')
      .filter(
        (refund) =>
          (params.charge === undefined || refund.charge === params.charge) &&
          (params.payment_intent === undefined || refund.payment_intent === params.payment_intent) &&
          inRange(refund.created, params.created),
      );
    return paginate(rows, params, '/v1/refunds');
  });
}
