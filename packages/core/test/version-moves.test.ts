import { describe, expect, it } from 'vitest';
import { Catalog, type CatalogInput, demoCatalog, versionMoveFor } from '../src/index.js';

const withBilling = (input: CatalogInput, migrate: boolean): CatalogInput => ({
  ...input,
  billing: { ...(input as { billing?: object }).billing, migrate_at_renewal: migrate },
});
const standard = demoCatalog.plans.standard;
const repriced = (input: CatalogInput): CatalogInput => ({
  ...input,
  plans: {
    ...input.plans,
    standard: { ...standard, prices: { ...standard.prices, monthly: { amount: 12_900 } } },
  },
});
const relimited = (input: CatalogInput): CatalogInput => ({
  ...input,
  plans: {
    ...input.plans,
    standard: { ...standard, features: { ...standard.features, sso: true } },
  },
});

/** Today's catalog (`today`), knowing the version `earlier` a subscriber was sold under. */
function catalogs(earlier: CatalogInput, today: CatalogInput) {
  const before = Catalog.from(earlier);
  const now = Catalog.from(today).withPlanVersions([{ hash: before.hash, definition: before.definition }]);
  return { now, earlierHash: before.hash };
}

const subscriber = (catalogHash: string, overrides: Partial<Parameters<typeof versionMoveFor>[1]> = {}) => ({
  source: 'stripe' as const,
  status: 'active',
  planCode: 'standard',
  interval: 'month' as const,
  catalogHash,
  cancelAtPeriodEnd: false,
  scheduled: false,
  ...overrides,
});

describe('versionMoveFor (billing.migrate_at_renewal for Stripe subscribers)', () => {
  it('schedules a move to the new price when the plan was repriced, and moves limits alone at renewal', () => {
    const base = withBilling(demoCatalog, true);
    const price = catalogs(base, repriced(base));
    expect(versionMoveFor(price.now, subscriber(price.earlierHash))).toBe('schedule_price');
    const limits = catalogs(base, relimited(base));
    expect(versionMoveFor(limits.now, subscriber(limits.earlierHash))).toBe('at_renewal');
    // The yearly price did not change: a yearly subscriber moves at renewal without a new price.
    expect(versionMoveFor(price.now, subscriber(price.earlierHash, { interval: 'year' }))).toBe('at_renewal');
  });

  it('moves nobody when the catalog does not say so, or when there is nothing to move', () => {
    const off = catalogs(withBilling(demoCatalog, false), repriced(withBilling(demoCatalog, false)));
    expect(versionMoveFor(off.now, subscriber(off.earlierHash))).toBe('none');
    const on = catalogs(withBilling(demoCatalog, true), repriced(withBilling(demoCatalog, true)));
    // Already on today's version, another source, ending, already scheduled, not live.
    expect(versionMoveFor(on.now, subscriber(on.now.hash))).toBe('none');
    expect(versionMoveFor(on.now, subscriber(on.earlierHash, { source: 'manual' }))).toBe('none');
    expect(versionMoveFor(on.now, subscriber(on.earlierHash, { cancelAtPeriodEnd: true }))).toBe('none');
    expect(versionMoveFor(on.now, subscriber(on.earlierHash, { scheduled: true }))).toBe('none');
    expect(versionMoveFor(on.now, subscriber(on.earlierHash, { status: 'canceled' }))).toBe('none');
    // A plan whose definition did not change between the versions (enterprise here) is not grandfathered.
    expect(versionMoveFor(on.now, subscriber(on.earlierHash, { planCode: 'enterprise' }))).toBe('none');
  });

  it('leaves a retired plan to the operator', () => {
    const base = withBilling(demoCatalog, true);
    const { enterprise: _retired, standard: kept, ...plans } = base.plans;
    const { upgrade_to: _upgrade, ...standardWithoutUpgrade } = kept as typeof standard;
    const retired = catalogs(base, { ...base, plans: { ...plans, standard: standardWithoutUpgrade } });
    expect(versionMoveFor(retired.now, subscriber(retired.earlierHash, { planCode: 'enterprise' }))).toBe(
      'none',
    );
  });
});
