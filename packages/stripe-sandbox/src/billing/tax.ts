import type Stripe from 'stripe';
import { Fraction, roundMinorUnits } from '../arithmetic/fraction.js';

/**
 * An illustrative rate table, not tax advice and not complete: a few countries' standard VAT/GST
 * rates and a few US states' base sales tax. Good enough to show tax on invoices end to end.
 */
const countryRates: Record<
  string,
  { percentage: string; type: Stripe.Tax.Calculation.TaxBreakdown.TaxRateDetails.TaxType }
> = {
  DE: { percentage: '19', type: 'vat' },
  FR: { percentage: '20', type: 'vat' },
  NL: { percentage: '21', type: 'vat' },
  ES: { percentage: '21', type: 'vat' },
  IT: { percentage: '22', type: 'vat' },
  IE: { percentage: '23', type: 'vat' },
  GB: { percentage: '20', type: 'vat' },
  AU: { percentage: '10', type: 'gst' },
  CA: { percentage: '5', type: 'gst' },
  JP: { percentage: '10', type: 'jct' },
};

const usStateRates: Record<string, string> = {
  CA: '7.25',
  NY: '4',
  TX: '6.25',
  WA: '6.5',
  FL: '6',
  IL: '6.25',
};

export type TaxabilityReason = 'standard_rated' | 'customer_exempt' | 'reverse_charge' | 'not_collecting';

export interface TaxResult {
  amount: number;
  taxableAmount: number;
  percentage: string;
  country: string | null;
  state: string | null;
  taxType: Stripe.Tax.Calculation.TaxBreakdown.TaxRateDetails.TaxType;
  reason: TaxabilityReason;
  inclusive: boolean;
}

/** Tax on an amount for a customer's address and tax status; exempt and reverse-charge customers pay none. */
export function computeTax(
  amount: number,
  address: { country?: string | null; state?: string | null } | null | undefined,
  taxExempt: string | null | undefined,
  inclusive = false,
): TaxResult {
  const country = address?.country?.toUpperCase() ?? null;
  const state = address?.state?.toUpperCase() ?? null;
  const base = { taxableAmount: amount, country, state, inclusive };
  const zero = (reason: TaxabilityReason, taxType: TaxResult['taxType'] = 'vat'): TaxResult => ({
    ...base,
    amount: 0,
    percentage: '0',
    taxType,
    reason,
  });
  if (taxExempt === 'exempt') return zero('customer_exempt');
  if (taxExempt === 'reverse') return zero('reverse_charge');
  let percentage: string | undefined;
  let taxType: TaxResult['taxType'] = 'sales_tax';
  if (country === 'US') percentage = state ? usStateRates[state] : undefined;
  else if (country) {
    percentage = countryRates[country]?.percentage;
    taxType = countryRates[country]?.type ?? 'vat';
  }
  if (!percentage) return zero('not_collecting', taxType);
  const rate = Fraction.of(percentage).div(100);
  const tax = inclusive
    ? Fraction.of(amount).minus(Fraction.of(amount).div(rate.plus(1)))
    : Fraction.of(amount).times(rate);
  const taxAmount = roundMinorUnits(tax);
  return {
    ...base,
    taxableAmount: inclusive ? amount - taxAmount : amount,
    amount: taxAmount,
    percentage,
    taxType,
    reason: 'standard_rated',
  };
}
