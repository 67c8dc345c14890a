import type Stripe from 'stripe';
import type { DiscountRequest } from '../billing/coupons.js';
import { cancelScheduleOfEndedSubscription } from '../billing/schedule-lifecycle.js';
import { changeSubscription, type SubscriptionChange } from '../billing/subscription-changes.js';
import { cancelSubscriptionNow } from '../billing/subscription-renewal.js';
import type { Subscription } from '../billing/subscription-state.js';
import { createSubscription, type SubscriptionRequest } from '../billing/subscriptions.js';
import { inRange, type ListParams, listParams, matchesEquals, paginate } from '../http/list.js';
import {
  any,
  arr,
  bool,
  int,
  metadata,
  obj,
  oneOf,
  required,
  type Spec,
  str,
  validateParams,
} from '../http/params.js';
import type { Router } from '../http/router.js';
import { registerSearchRoute } from '../http/search.js';
import { mergeMetadata } from './common.js';

const prorationBehavior = oneOf(['create_prorations', 'none', 'always_invoice']);

const createSpec: Record<string, Spec> = {
  customer: required(str()),
  items: required(arr(obj({ price: required(str()), quantity: int(), metadata: metadata() }))),
  trial_period_days: int(),
  trial_end: int(),
  metadata: metadata(),
  default_payment_method: str(),
  automatic_tax: obj({ enabled: required(bool()) }),
  cancel_at_period_end: bool(),
  payment_behavior: oneOf([
    'allow_incomplete',
    'default_incomplete',
    'error_if_incomplete',
    'pending_if_incomplete',
  ]),
  description: str(),
  collection_method: oneOf(['charge_automatically']),
  proration_behavior: prorationBehavior,
  discounts: arr(obj({ coupon: str(), promotion_code: str() })),
  // Accepted with no effect: the sandbox always keeps the card and charges off session.
  payment_settings: any(),
  off_session: bool(),
};

const updateSpec: Record<string, Spec> = {
  items: arr(obj({ id: str(), price: str(), quantity: int(), deleted: bool(), metadata: metadata() })),
  proration_behavior: prorationBehavior,
  proration_date: int(),
  cancel_at_period_end: bool(),
  cancel_at: int({ nullable: true }),
  cancellation_details: obj({ comment: str({ nullable: true }), feedback: str({ nullable: true }) }),
  default_payment_method: str({ nullable: true }),
  metadata: metadata(),
  trial_end: any(),
  payment_behavior: oneOf([
    'allow_incomplete',
    'default_incomplete',
    'error_if_incomplete',
    'pending_if_incomplete',
  ]),
  description: str({ nullable: true }),
  billing_cycle_anchor: oneOf(['now', 'unchanged']),
  automatic_tax: obj({ enabled: required(bool()) }),
};

interface CreateInput {
  customer: string;
  items: { price: string; quantity?: number; metadata?: Record<string, string> }[];
  trial_period_days?: number;
  trial_end?: number;
  metadata?: Record<string, string | null>;
  default_payment_method?: string;
  automatic_tax?: { enabled: boolean };
  cancel_at_period_end?: boolean;
  payment_behavior?: SubscriptionRequest['paymentBehavior'];
  description?: string;
  discounts?: DiscountRequest[];
}

export function registerSubscriptions(router: Router): void {
  router.api('POST', '/v1/subscriptions', ({ sandbox, body }) => {
    const input = validateParams<CreateInput>(createSpec, body);
    return createSubscription(sandbox, {
      customer: input.customer,
      items: input.items,
      trialPeriodDays: input.trial_period_days ?? null,
      trialEnd: input.trial_end ?? null,
      metadata: mergeMetadata({}, input.metadata),
      defaultPaymentMethod: input.default_payment_method ?? null,
      automaticTax: input.automatic_tax?.enabled ?? false,
      cancelAtPeriodEnd: input.cancel_at_period_end ?? false,
      paymentBehavior: input.payment_behavior ?? 'allow_incomplete',
      description: input.description ?? null,
      discounts: input.discounts,
    }).subscription;
  });
  registerSearchRoute(router, '/v1/subscriptions', 'subscriptions');
  router.api('GET', '/v1/subscriptions/:id', ({ sandbox, params }) =>
    sandbox.store.require<Subscription>('subscriptions', params.id as string, 'subscription'),
  );
  router.api('POST', '/v1/subscriptions/:id', ({ sandbox, body, params }) => {
    const subscription = sandbox.store.require<Subscription>(
      'subscriptions',
      params.id as string,
      'subscription',
    );
    return changeSubscription(sandbox, subscription, validateParams<SubscriptionChange>(updateSpec, body));
  });
  router.api('DELETE', '/v1/subscriptions/:id', ({ sandbox, body, params }) => {
    const input = validateParams<{ invoice_now?: boolean }>(
      { invoice_now: bool(), prorate: bool(), cancellation_details: any() },
      body,
    );
    const subscription = sandbox.store.require<Subscription>(
      'subscriptions',
      params.id as string,
      'subscription',
    );
    cancelSubscriptionNow(sandbox, subscription, input.invoice_now ?? false);
    cancelScheduleOfEndedSubscription(sandbox, subscription);
    return subscription;
  });
  router.api('GET', '/v1/subscriptions', ({ sandbox, body }) => {
    const params = validateParams<
      ListParams & {
        customer?: string;
        price?: string;
        status?: string;
        created?: unknown;
        test_clock?: string;
      }
    >(
      { ...listParams, customer: str(), price: str(), status: str(), created: any(), test_clock: str() },
      body,
    );
    const rows = sandbox.store.all<Subscription>('subscriptions').filter(
      (row) =>
        matchesEquals(row, params, ['customer', 'test_clock']) &&
        (params.price === undefined || row.items.data.some((item) => item.price.id === params.price)) &&
        // Stripe's default list hides canceled subscriptions; `status=all` shows everything.
        (params.status === 'all' ||
          (params.status === undefined ? row.status !== 'canceled' : row.status === params.status)) &&
        inRange(row.created, params.created),
    );
    return paginate(rows, params, '/v1/subscriptions');
  });
  router.api('GET', '/v1/subscription_items', ({ sandbox, body }) => {
    const params = validateParams<ListParams & { subscription: string }>(
      { ...listParams, subscription: required(str()) },
      body,
    );
    const subscription = sandbox.store.require<Subscription>(
      'subscriptions',
      params.subscription,
      'subscription',
      'subscription',
    );
    return paginate(
      subscription.items.data as Stripe.SubscriptionItem[],
      params,
      `/v1/subscription_items?subscription=${subscription.id}`,
    );
  });
}
