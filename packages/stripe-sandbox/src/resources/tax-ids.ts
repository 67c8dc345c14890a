import type Stripe from 'stripe';
import { type ListParams, listParams, paginate } from '../http/list.js';
import { obj, required, type Spec, str, validateParams } from '../http/params.js';
import type { Router } from '../http/router.js';
import type { Sandbox } from '../sandbox.js';
import { newId } from '../state/ids.js';
import type { Wire } from '../wire.js';
import { deletedObject } from './common.js';

export type TaxId = Wire<Stripe.TaxId>;

export const taxIdDataSpec = (): Spec => obj({ type: required(str()), value: required(str()) });

/** Country implied by the tax id type, e.g. `eu_vat` DE123… → DE. */
function countryOf(type: string, value: string): string | null {
  if (type === 'eu_vat') return value.slice(0, 2).toUpperCase().replace('EL', 'GR');
  const prefix = type.split('_')[0];
  return prefix && prefix.length === 2 ? prefix.toUpperCase() : null;
}

export function createTaxId(
  sandbox: Sandbox,
  customerId: string,
  data: { type: string; value: string },
): TaxId {
  const taxId: TaxId = {
    id: newId('txi'),
    object: 'tax_id',
    country: countryOf(data.type, data.value),
    created: sandbox.now(sandbox.clockOfCustomer(customerId)),
    customer: customerId,
    customer_account: null,
    livemode: false,
    owner: { customer: customerId, customer_account: null, type: 'customer' },
    type: data.type as Stripe.TaxId.Type,
    value: data.value,
    verification: { status: 'pending', verified_address: null, verified_name: null },
  };
  sandbox.store.insert('tax_ids', taxId);
  return taxId;
}

export function taxIdsOf(sandbox: Sandbox, customerId: string): TaxId[] {
  return sandbox.store.all<TaxId>('tax_ids').filter((taxId) => taxId.customer === customerId);
}

export function registerTaxIds(router: Router): void {
  router.api('POST', '/v1/customers/:id/tax_ids', ({ sandbox, body, params }) => {
    sandbox.store.require('customers', params.id as string, 'customer');
    const input = validateParams<{ type: string; value: string }>(
      { type: required(str()), value: required(str()) },
      body,
    );
    const taxId = createTaxId(sandbox, params.id as string, input);
    sandbox.emit('customer.tax_id.created', taxId, { clockId: sandbox.clockOfCustomer(params.id) });
    return taxId;
  });
  router.api('GET', '/v1/customers/:id/tax_ids', ({ sandbox, body, params }) => {
    sandbox.store.require('customers', params.id as string, 'customer');
    const list = validateParams<ListParams>(listParams, body);
    return paginate(taxIdsOf(sandbox, params.id as string), list, `/v1/customers/${params.id}/tax_ids`);
  });
  router.api('GET', '/v1/customers/:id/tax_ids/:taxId', ({ sandbox, params }) =>
    sandbox.store.require<TaxId>('tax_ids', params.taxId as string, 'tax id'),
  );
  router.api('DELETE', '/v1/customers/:id/tax_ids/:taxId', ({ sandbox, params }) => {
    const taxId = sandbox.store.require<TaxId>('tax_ids', params.taxId as string, 'tax id');
    sandbox.store.remove('tax_ids', taxId.id);
    return deletedObject(taxId.id, 'tax_id');
  });
}
