import type Stripe from 'stripe';
import type { Sandbox } from '../sandbox.js';
import type { Wire } from '../wire.js';
import type { TaxResult } from './tax.js';

/** One stored TaxRate per jurisdiction and rate, so invoice tax lines can name a `txr_` id as Stripe's do. */
export function taxRateFor(sandbox: Sandbox, tax: TaxResult): string {
  const key = `${tax.country ?? 'XX'}_${tax.state ?? ''}_${tax.percentage}_${tax.reason}`.replace(
    /[^A-Za-z0-9]/g,
    '',
  );
  const id = `txr_sandbox${key}`;
  if (sandbox.store.get('tax_rates', id)) return id;
  const rate: Wire<Stripe.TaxRate> = {
    id,
    object: 'tax_rate',
    active: true,
    country: tax.country,
    created: sandbox.now(),
    description: null,
    display_name: tax.taxType === 'sales_tax' ? 'Sales Tax' : tax.taxType.toUpperCase(),
    effective_percentage: Number(tax.percentage),
    flat_amount: null,
    inclusive: tax.inclusive,
    jurisdiction: tax.state ?? tax.country,
    jurisdiction_level: tax.state ? 'state' : 'country',
    livemode: false,
    metadata: {},
    percentage: Number(tax.percentage),
    rate_type: 'percentage',
    state: tax.state,
    tax_type: tax.taxType as Stripe.TaxRate.TaxType,
  };
  sandbox.store.insert('tax_rates', rate);
  return id;
}
