import type { CatalogChange } from './stripe-catalog-plan.js';

/** One line per change, as the sync prints it. */
export function describeCatalogChange(change: CatalogChange): string {
  switch (change.kind) {
    case 'create_product':
      return `create product "${change.product.name}" (${change.product.key})`;
    case 'update_product': {
      const parts = [
        ...(change.set.name !== undefined ? [`name → "${change.set.name}"`] : []),
        ...(change.set.description !== undefined ? ['description'] : []),
        ...(change.set.active ? ['reactivate'] : []),
      ];
      return `update product ${change.product_id} (${change.product_key}): ${parts.join(', ')}`;
    }
    case 'create_meter':
      return `create meter ${change.meter.event_name} (formula ${change.meter.formula})`;
    case 'reactivate_meter':
      return `reactivate meter ${change.meter_id} (${change.event_name})`;
    case 'create_price':
      return change.replaces
        ? `create price ${change.price.lookup_key} and move the lookup key from ${change.replaces}`
        : `create price ${change.price.lookup_key}`;
    case 'activate_price':
      return `reactivate price ${change.price_id} (${change.lookup_key})`;
    case 'archive_price':
      return change.reason === 'replaced'
        ? `archive price ${change.price_id} (replaced; its subscribers keep it)`
        : `archive price ${change.price_id} (${change.lookup_key} is no longer in the catalog)`;
    case 'create_portal_configuration':
      return 'create portal configuration';
    case 'update_portal_configuration':
      return `update portal configuration ${change.configuration_id}`;
  }
}

/** "3 changes: 1 create product, 2 create price" or "no changes". */
export function summarizeCatalogChanges(changes: CatalogChange[]): string {
  if (changes.length === 0) return 'no changes';
  const counts = new Map<string, number>();
  for (const change of changes) {
    const label = change.kind.replaceAll('_', ' ');
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  const parts = [...counts].map(([label, count]) => `${count} ${label}`);
  return `${changes.length} change${changes.length === 1 ? '' : 's'}: ${parts.join(', ')}`;
}
