import type Stripe from 'stripe';
import { computeTax, type TaxResult } from '../billing/tax.js';
import { errors } from '../http/errors.js';
import { type ListParams, listParams, paginate } from '../http/list.js';
import {
  addressSpec,
  any,
  arr,
  int,
  metadata,
  obj,
  oneOf,
  required,
  str,
  validateParams,
} from '../http/params.js';
import type { Router } from '../http/router.js';
import { newId } from '../state/ids.js';
import type { Wire } from '../wire.js';

type Calculation = Wire<Stripe.Tax.Calculation>;
type CalculationLineItem = Wire<Stripe.Tax.CalculationLineItem>;

interface CalculationInput {
  currency: string;
  customer?: string;
  customer_details?: {
    address?: Partial<Stripe.Address>;
    address_source?: 'billing' | 'shipping';
    taxability_override?: 'none' | 'customer_exempt' | 'reverse_charge';
  };
  line_items: {
    amount: number;
    reference?: string;
    quantity?: number;
    product?: string;
    tax_behavior?: 'exclusive' | 'inclusive';
    tax_code?: string;
    metadata?: Record<string, string>;
  }[];
  tax_date?: number;
}

function breakdown(tax: TaxResult) {
  return {
    amount: tax.amount,
    inclusive: tax.inclusive,
    tax_rate_details: {
      country: tax.country,
      flat_amount: null,
      percentage_decimal: tax.percentage,
      rate_type: 'percentage' as const,
      state: tax.state,
      tax_type: tax.reason === 'standard_rated' ? tax.taxType : null,
    },
    taxability_reason: tax.reason,
    taxable_amount: tax.taxableAmount,
  };
}

/** `POST /v1/tax/calculations` from the illustrative rate table; exempt and reverse-charge customers pay zero. */
export function registerTaxCalculations(router: Router): void {
  router.api('POST', '/v1/tax/calculations', ({ sandbox, body }) => {
    const input = validateParams<CalculationInput>(
      {
        currency: required(str()),
        customer: str(),
        customer_details: obj({
          address: addressSpec(),
          address_source: oneOf(['billing', 'shipping']),
          taxability_override: oneOf(['none', 'customer_exempt', 'reverse_charge']),
          tax_ids: any(),
          ip_address: str(),
        }),
        line_items: required(
          arr(
            obj({
              amount: required(int()),
              reference: str(),
              quantity: int(),
              product: str(),
              tax_behavior: oneOf(['exclusive', 'inclusive']),
              tax_code: str(),
              metadata: metadata(),
            }),
          ),
        ),
        tax_date: int(),
        shipping_cost: any(),
      },
      body,
    );
    const customer = input.customer
      ? sandbox.store.require<Wire<Stripe.Customer>>('customers', input.customer, 'customer', 'customer')
      : undefined;
    const address = input.customer_details?.address ?? customer?.address ?? null;
    if (!address?.country) throw errors.missingParameter('customer_details[address][country]');
    const override = input.customer_details?.taxability_override;
    const exempt =
      override === 'customer_exempt'
        ? 'exempt'
        : override === 'reverse_charge'
          ? 'reverse'
          : (customer?.tax_exempt ?? 'none');
    const id = newId('taxcalc');
    const results = input.line_items.map((line) =>
      computeTax(line.amount, address, exempt, line.tax_behavior === 'inclusive'),
    );
    const lineItems: CalculationLineItem[] = input.line_items.map((line, index) => {
      const tax = results[index] as TaxResult;
      return {
        id: newId('tax_li'),
        object: 'tax.calculation_line_item',
        amount: line.amount,
        amount_tax: tax.amount,
        livemode: false,
        metadata: line.metadata ?? {},
        performance_location: null,
        product: line.product ?? null,
        quantity: line.quantity ?? 1,
        reference: line.reference ?? `line_${index}`,
        tax_behavior: line.tax_behavior ?? 'exclusive',
        tax_breakdown: [
          {
            amount: tax.amount,
            jurisdiction: {
              country: tax.country ?? '',
              display_name: tax.state ?? tax.country ?? '',
              level: tax.state ? 'state' : 'country',
              state: tax.state,
            },
            sourcing: 'destination',
            tax_rate_details:
              tax.reason === 'standard_rated'
                ? { display_name: tax.taxType, percentage_decimal: tax.percentage, tax_type: tax.taxType }
                : null,
            taxability_reason: tax.reason,
            taxable_amount: tax.taxableAmount,
          },
        ],
        tax_code: line.tax_code ?? 'txcd_10000000',
      };
    });
    const exclusive = results.filter((tax) => !tax.inclusive).reduce((sum, tax) => sum + tax.amount, 0);
    const inclusive = results.filter((tax) => tax.inclusive).reduce((sum, tax) => sum + tax.amount, 0);
    const now = sandbox.now(sandbox.clockOfCustomer(input.customer));
    const calculation: Calculation = {
      id,
      object: 'tax.calculation',
      amount_total: input.line_items.reduce((sum, line) => sum + line.amount, 0) + exclusive,
      currency: input.currency,
      customer: input.customer ?? null,
      customer_details: {
        address: {
          city: null,
          line1: null,
          line2: null,
          postal_code: null,
          state: null,
          ...address,
          country: address.country,
        },
        address_source: input.customer_details?.address_source ?? 'billing',
        ip_address: null,
        tax_ids: [],
        taxability_override: override ?? 'none',
      },
      expires_at: now + 90 * 86_400,
      livemode: false,
      ship_from_details: null,
      shipping_cost: null,
      tax_amount_exclusive: exclusive,
      tax_amount_inclusive: inclusive,
      tax_breakdown: results.map(breakdown),
      tax_date: input.tax_date ?? now,
    };
    sandbox.store.insert('tax_calculations', calculation as Calculation & { id: string });
    sandbox.store.put('_tax_calculation_lines', { id, lines: lineItems });
    return calculation;
  });
  router.api('GET', '/v1/tax/calculations/:id', ({ sandbox, params }) =>
    sandbox.store.require<Calculation>('tax_calculations', params.id as string, 'tax.calculation'),
  );
  router.api('GET', '/v1/tax/calculations/:id/line_items', ({ sandbox, body, params }) => {
    const stored = sandbox.store.require<{ lines: CalculationLineItem[] }>(
      '_tax_calculation_lines',
      params.id as string,
      'tax.calculation',
    );
    return paginate(
      stored.lines,
      validateParams<ListParams>(listParams, body),
      `/v1/tax/calculations/${params.id}/line_items`,
    );
  });
}

/** The tax rates invoices name in their tax lines (created on demand from the rate table). */
export function registerTaxRates(router: Router): void {
  router.api('GET', '/v1/tax_rates/:id', ({ sandbox, params }) =>
    sandbox.store.require<Wire<Stripe.TaxRate>>('tax_rates', params.id as string, 'tax rate'),
  );
  router.api('GET', '/v1/tax_rates', ({ sandbox, body }) =>
    paginate(
      sandbox.store.all<Wire<Stripe.TaxRate>>('tax_rates'),
      validateParams<ListParams>({ ...listParams, active: any(), inclusive: any() }, body),
      '/v1/tax_rates',
    ),
  );
}
