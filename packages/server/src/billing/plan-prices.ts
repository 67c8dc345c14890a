import {
  type Catalog,
  overagePriceLookupKey,
  type PlanAndInterval,
  planPriceLookupKey,
} from '@tollgate/core';
import { AppError } from '../errors.js';
import { type StripeCatalogAccess, stripePriceIdFor } from '../stripe/catalog/stripe-catalog-ids.js';

export type PlanPriceIds = { plan: string; metered: string[] };

/**
 * The Stripe prices that sell a plan at an interval: its licensed price and the metered price of each
 * feature with an overage charge. A plan synced without its meters still sells (overage is then not
 * billed); a plan without its price is 503 catalog_not_synced.
 */
export async function planPriceIds(
  context: StripeCatalogAccess & { catalog: Catalog },
  target: PlanAndInterval,
): Promise<PlanPriceIds> {
  const plan = context.catalog.plan(target.plan);
  if (!plan)
    throw new AppError('unknown_plan', 400, `plan "${target.plan}" is not in the catalog`, { field: 'plan' });
  const planKey = planPriceLookupKey(plan.code, target.interval);
  const planPrice = await stripePriceIdFor(context, planKey);
  if (!planPrice) {
    throw new AppError(
      'catalog_not_synced',
      503,
      `Stripe has no price with lookup key "${planKey}"; run \`npm run tollgate -- stripe sync\``,
    );
  }
  const metered: string[] = [];
  for (const [feature, grant] of Object.entries(plan.features)) {
    if (typeof grant !== 'object' || !grant.overage) continue;
    const price = await stripePriceIdFor(context, overagePriceLookupKey(plan.code, feature, target.interval));
    if (price) metered.push(price);
  }
  return { plan: planPrice, metered };
}
