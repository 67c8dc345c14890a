import { z } from 'zod';

const line = z.string().min(1).max(200);

/** A postal address as Stripe takes it; the country decides tax. */
export const billingAddress = z.strictObject({
  line1: line.optional(),
  line2: line.optional(),
  city: line.optional(),
  state: line.optional(),
  postal_code: z.string().min(1).max(20).optional(),
  country: z
    .string()
    .regex(/^[A-Z]{2}$/, 'must be a two-letter ISO 3166 country code such as "US"')
    .describe('ISO 3166-1 alpha-2'),
});

/** A customer tax id in Stripe's terms: `type` such as eu_vat, us_ein, gb_vat, au_abn. */
export const taxId = z.strictObject({
  type: z.string().regex(/^[a-z]{2,3}_[a-z]{2,6}$/, 'must be a Stripe tax id type such as "eu_vat"'),
  value: z
    .string()
    .min(2)
    .max(64)
    .regex(/^[A-Za-z0-9 .\-/]+$/, 'letters, digits, spaces, ".", "-" and "/" only'),
});
