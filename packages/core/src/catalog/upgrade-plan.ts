import { toDecimal } from '../decimal.js';
import type { Catalog } from './catalog.js';
import type { PlanFeature } from './schema.js';

/** Whether `offer` gives more of a feature than `current`: a boolean turned on, or a larger allowance. */
function offersMore(offer: PlanFeature | undefined, current: PlanFeature | undefined): boolean {
  if (offer === undefined || offer === false) return false;
  if (current === undefined || current === false) return true;
  if (offer === true || current === true) return false;
  if (offer.included === 'unlimited') return current.included !== 'unlimited';
  if (current.included === 'unlimited') return false;
  return toDecimal(offer.included).gt(toDecimal(current.included));
}

/**
 * The plan a denied organization should move to for `featureCode`: the first plan along the
 * `upgrade_to` chain from its plan that offers more of the feature. Undefined when no plan on
 * the chain does (then the upgrade page is shown without a plan).
 */
export function upgradePlanFor(catalog: Catalog, planCode: string, featureCode: string): string | undefined {
  const current = catalog.planFeature(planCode, featureCode);
  const visited = new Set([planCode]);
  let next = catalog.plan(planCode)?.upgrade_to;
  while (next !== undefined && !visited.has(next)) {
    if (offersMore(catalog.planFeature(next, featureCode), current)) return next;
    visited.add(next);
    next = catalog.plan(next)?.upgrade_to;
  }
  return undefined;
}

/**
 * The upgrade page for a denial: the catalog's `upgrade_url` (an absolute URL, or a path under
 * `publicUrl`), naming the plan that offers the feature.
 */
export function upgradeUrlFor(
  catalog: Catalog,
  publicUrl: string,
  planCode: string,
  featureCode: string,
): string | undefined {
  const page = catalog.definition.upgrade_url;
  if (page === undefined) return undefined;
  // A path is a page of this deployment (PUBLIC_URL may carry a path prefix of its own).
  const url = new URL(page.startsWith('/') ? `${publicUrl.replace(/\/+$/, '')}${page}` : page);
  const plan = upgradePlanFor(catalog, planCode, featureCode);
  if (plan !== undefined) url.searchParams.set('plan', plan);
  return url.toString();
}
