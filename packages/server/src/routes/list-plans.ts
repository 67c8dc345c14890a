import {
  type BillingInterval,
  creditPackPriceLookupKey,
  overagePriceLookupKey,
  type Plan,
  planPriceLookupKey,
} from '@tollgate/core';
import { z } from 'zod';
import type { App, AppContext } from '../http/context.js';
import { commonErrors } from '../http/schemas.js';

export const plansResponse = z.object({
  catalog_version: z.string(),
  catalog_hash: z.string(),
  currency: z.string(),
  default_plan: z.string(),
  features: z.record(z.string(), z.unknown()),
  plans: z.array(z.object({ code: z.string() }).loose()),
  credit_packs: z.array(z.object({ code: z.string() }).loose()),
  credit_events: z.array(z.object({ code: z.string() }).loose()),
});
export type PlansResponse = z.infer<typeof plansResponse>;

type PriceId = (lookupKey: string) => string | null;

const INTERVAL_OF = { monthly: 'month', yearly: 'year' } as const satisfies Record<string, BillingInterval>;

/** A plan with the Stripe price of each interval and of each overage, null where none is synced. */
function planWithStripePrices(plan: Plan, priceId: PriceId) {
  const prices = Object.fromEntries(
    Object.entries(plan.prices).map(([name, price]) => [
      name,
      price && {
        ...price,
        stripe_price_id: priceId(
          planPriceLookupKey(plan.code, INTERVAL_OF[name as keyof typeof INTERVAL_OF]),
        ),
      },
    ]),
  );
  const features = Object.fromEntries(
    Object.entries(plan.features).map(([featureCode, granted]) => [
      featureCode,
      typeof granted === 'object' && granted.overage !== null
        ? {
            ...granted,
            overage: {
              ...granted.overage,
              stripe_price_ids: {
                month: priceId(overagePriceLookupKey(plan.code, featureCode, 'month')),
                year: priceId(overagePriceLookupKey(plan.code, featureCode, 'year')),
              },
            },
          }
        : granted,
    ]),
  );
  return { ...plan, prices, features };
}

function plansBody(context: AppContext): PlansResponse {
  const { definition } = context.catalog;
  const priceId: PriceId = (lookupKey) => context.stripeCatalogIds.get(lookupKey);
  return {
    catalog_version: context.catalog.version,
    catalog_hash: context.catalog.hash,
    currency: context.catalog.currency,
    default_plan: context.catalog.defaultPlanCode,
    features: definition.features,
    plans: context.catalog.plans().map((plan) => planWithStripePrices(plan, priceId)),
    credit_packs: Object.entries(definition.credit_packs).map(([code, pack]) => ({
      code,
      ...pack,
      price: { ...pack.price, stripe_price_id: priceId(creditPackPriceLookupKey(code)) },
    })),
    credit_events: Object.entries(definition.credit_events).map(([code, event]) => ({ code, ...event })),
  };
}

export function registerListPlansRoute(app: App, context: AppContext) {
  // The catalog is immutable while the server runs and the Stripe ids change only with a sync, so
  // the answer is rebuilt only when the synced ids do.
  let body = plansBody(context);
  let builtAt = context.stripeCatalogIds.revision;
  app.get(
    '/v1/plans',
    {
      config: { auth: 'any_caller' },
      schema: {
        tags: ['catalog'],
        summary:
          'The plan catalog: plans, features, credit packs and credit events, with their Stripe price ids',
        response: { 200: plansResponse, ...commonErrors },
      },
    },
    async (request) => {
      context.stripeCatalogIds.refreshWhenStale((error) =>
        request.log.warn({ err: error }, 'could not re-read the synced Stripe catalog ids'),
      );
      if (builtAt !== context.stripeCatalogIds.revision) {
        body = plansBody(context);
        builtAt = context.stripeCatalogIds.revision;
      }
      return body;
    },
  );
}
