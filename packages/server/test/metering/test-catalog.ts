import { type CatalogInput, demoCatalog } from '@tollgate/core';

/** The demo catalog plus features that exercise every cap and aggregation the demo plans do not. */
export const meteringTestCatalog = {
  ...demoCatalog,
  features: {
    ...demoCatalog.features,
    exports: { name: 'Exports', unit: 'export' },
    active_users: { name: 'Active users', aggregation: 'unique_count', unique_property: 'user' },
    queue_depth: { name: 'Queue depth', aggregation: 'latest', reset: 'never' },
    logins: { name: 'Logins', aggregation: 'count' },
    // Counted from an event of another name.
    page_views: { name: 'Page views', aggregation: 'count', events: ['page_view'] },
  },
  plans: {
    ...demoCatalog.plans,
    free: {
      ...demoCatalog.plans.free,
      features: {
        ...demoCatalog.plans.free.features,
        exports: { included: 5, cap: 'hard' },
        active_users: { included: 3, cap: 'soft', grace_percent: 0 },
        queue_depth: { included: 100, cap: 'soft' },
        logins: { included: 'unlimited', cap: 'soft' },
      },
    },
    standard: {
      ...demoCatalog.plans.standard,
      features: {
        ...demoCatalog.plans.standard.features,
        exports: { included: 100, cap: 'hard' },
      },
    },
  },
} satisfies CatalogInput;
