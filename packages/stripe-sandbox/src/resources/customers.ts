import type Stripe from 'stripe';
import { inRange, type ListParams, listParams, paginate } from '../http/list.js';
import {
  addressSpec,
  any,
  arr,
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
import type { Sandbox } from '../sandbox.js';
import { newId, randomToken } from '../state/ids.js';
import type { Wire } from '../wire.js';
import { deletedObject, mergeMetadata, previousAttributes, toAddress } from './common.js';
import { attachPaymentMethod, resolveCustomerPaymentMethod } from './payment-methods.js';
import { createTaxId, taxIdDataSpec } from './tax-ids.js';

export type Customer = Wire<Stripe.Customer>;

const shippingSpec = (): Spec =>
  obj({ address: required(addressSpec()), name: required(str()), phone: str() }, { nullable: true });

const editable: Record<string, Spec> = {
  address: addressSpec(),
  description: str({ nullable: true }),
  email: str({ nullable: true }),
  metadata: metadata(),
  name: str({ nullable: true }),
  phone: str({ nullable: true }),
  preferred_locales: arr(str()),
  shipping: shippingSpec(),
  tax_exempt: oneOf(['none', 'exempt', 'reverse'], { nullable: true }),
  invoice_settings: obj({ default_payment_method: str({ nullable: true }), footer: str({ nullable: true }) }),
  payment_method: str(),
  tax: obj({ ip_address: str({ nullable: true }), validate_location: str() }),
};

const createSpec: Record<string, Spec> = {
  ...editable,
  tax_id_data: arr(taxIdDataSpec()),
  test_clock: str(),
};

interface CustomerInput {
  address?: Partial<Stripe.Address> | null;
  description?: string | null;
  email?: string | null;
  metadata?: Record<string, string | null> | null;
  name?: string | null;
  phone?: string | null;
  preferred_locales?: string[];
  shipping?: Stripe.Customer.Shipping | null;
  tax_exempt?: Stripe.Customer.TaxExempt | null;
  invoice_settings?: { default_payment_method?: string | null; footer?: string | null };
  payment_method?: string;
  tax_id_data?: { type: string; value: string }[];
  test_clock?: string;
}

function applyInput(customer: Customer, input: CustomerInput): void {
  if (input.address !== undefined) customer.address = toAddress(input.address);
  if (input.description !== undefined) customer.description = input.description;
  if (input.email !== undefined) customer.email = input.email;
  if (input.name !== undefined) customer.name = input.name;
  if (input.phone !== undefined) customer.phone = input.phone;
  if (input.preferred_locales !== undefined) customer.preferred_locales = input.preferred_locales;
  if (input.shipping !== undefined) customer.shipping = input.shipping;
  if (input.tax_exempt !== undefined) customer.tax_exempt = input.tax_exempt ?? 'none';
  if (input.metadata !== undefined) customer.metadata = mergeMetadata(customer.metadata, input.metadata);
  if (input.invoice_settings?.footer !== undefined)
    customer.invoice_settings.footer = input.invoice_settings.footer;
}

export function createCustomer(sandbox: Sandbox, input: CustomerInput): Customer {
  if (input.test_clock) sandbox.store.require('test_clocks', input.test_clock, 'test clock', 'test_clock');
  const customer: Customer = {
    id: newId('cus', 14),
    object: 'customer',
    address: null,
    balance: 0,
    created: sandbox.now(input.test_clock),
    currency: null,
    default_source: null,
    delinquent: false,
    description: null,
    discount: null,
    email: null,
    invoice_prefix: randomToken(8).toUpperCase(),
    invoice_settings: {
      custom_fields: null,
      default_payment_method: null,
      footer: null,
      rendering_options: null,
    },
    livemode: false,
    metadata: {},
    name: null,
    next_invoice_sequence: 1,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: input.test_clock ?? null,
  };
  applyInput(customer, input);
  sandbox.store.insert('customers', customer);
  settlePaymentMethods(sandbox, customer, input);
  for (const data of input.tax_id_data ?? []) createTaxId(sandbox, customer.id, data);
  sandbox.emit('customer.created', customer, { clockId: customer.test_clock as string | null });
  return customer;
}

/**
 * Attaches `payment_method` and settles `invoice_settings.default_payment_method`. Stripe's documented
 * test pattern names the same token in both (`pm_card_visa`): the default is then the card just
 * attached, not a second one.
 */
function settlePaymentMethods(sandbox: Sandbox, customer: Customer, input: CustomerInput): void {
  const attached = input.payment_method
    ? attachPaymentMethod(sandbox, input.payment_method, customer.id)
    : null;
  const wanted = input.invoice_settings?.default_payment_method;
  if (wanted === undefined) return;
  customer.invoice_settings.default_payment_method =
    wanted === null
      ? null
      : attached && wanted === input.payment_method
        ? attached.id
        : resolveCustomerPaymentMethod(
            sandbox,
            wanted,
            customer.id,
            'invoice_settings[default_payment_method]',
          ).id;
  sandbox.store.put('customers', customer);
}

export function updateCustomer(sandbox: Sandbox, customer: Customer, input: CustomerInput): Customer {
  const before = structuredClone(customer);
  applyInput(customer, input);
  settlePaymentMethods(sandbox, customer, input);
  sandbox.store.put('customers', customer);
  const previous = previousAttributes(before, customer);
  if (Object.keys(previous).length > 0) {
    sandbox.emit('customer.updated', customer, { clockId: customer.test_clock as string | null, previous });
  }
  return customer;
}

export function registerCustomers(router: Router): void {
  router.api('POST', '/v1/customers', ({ sandbox, body }) =>
    createCustomer(sandbox, validateParams<CustomerInput>(createSpec, body)),
  );
  registerSearchRoute(router, '/v1/customers', 'customers');
  router.api('GET', '/v1/customers/:id', ({ sandbox, body, params }) => {
    validateParams({}, body);
    // Stripe still answers for a deleted customer, with its deleted stub.
    const deleted = sandbox.store.get<{ id: string }>('_deleted_customers', params.id as string);
    if (deleted) return deletedObject(deleted.id, 'customer');
    return sandbox.store.require<Customer>('customers', params.id as string, 'customer');
  });
  router.api('POST', '/v1/customers/:id', ({ sandbox, body, params }) => {
    const customer = sandbox.store.require<Customer>('customers', params.id as string, 'customer');
    return updateCustomer(sandbox, customer, validateParams<CustomerInput>(editable, body));
  });
  router.api('DELETE', '/v1/customers/:id', ({ sandbox, params }) => {
    const customer = sandbox.store.require<Customer>('customers', params.id as string, 'customer');
    sandbox.store.remove('customers', customer.id);
    sandbox.store.put('_deleted_customers', { id: customer.id });
    sandbox.emit('customer.deleted', customer, { clockId: customer.test_clock as string | null });
    return deletedObject(customer.id, 'customer');
  });
  router.api('GET', '/v1/customers', ({ sandbox, body }) => {
    const params = validateParams<ListParams & { email?: string; created?: unknown; test_clock?: string }>(
      { ...listParams, email: str(), created: any(), test_clock: str() },
      body,
    );
    const rows = sandbox.store
      .all<Customer>('customers')
      .filter((row) => params.email === undefined || row.email === params.email)
      .filter((row) => params.test_clock === undefined || row.test_clock === params.test_clock)
      .filter((row) => inRange(row.created, params.created));
    return paginate(rows, params, '/v1/customers');
  });
}
