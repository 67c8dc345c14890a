import { z } from 'zod';
import { isDecimalText } from '../decimal.js';

const code = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,62}$/, 'must be lower snake_case: a letter, then letters, digits or _ (≤ 63)');

/** A non-negative exact decimal, written as a string or a number; kept as canonical text. */
export const decimalAmount = z.union([z.string(), z.number()]).transform((value, context) => {
  const text = typeof value === 'number' ? String(value) : value.trim();
  if (!isDecimalText(text) || text.startsWith('-')) {
    context.addIssue({ code: 'custom', message: 'must be a non-negative decimal number' });
    return z.NEVER;
  }
  return text;
});

const minorUnits = z.number().int().nonnegative();
const currency = z
  .string()
  .regex(/^[a-z]{3}$/, 'must be a lower-case ISO 4217 code such as "usd"')
  .default('usd');

/** Price of a plan for one interval, in minor units of the catalog currency. */
const recurringPrice = z.strictObject({ amount: minorUnits });

/** How usage beyond the included quantity is priced. Amounts are minor units and may be fractional. */
export const overagePricing = z.discriminatedUnion('model', [
  z.strictObject({ model: z.literal('per_unit'), unit_amount: decimalAmount }),
  z.strictObject({
    model: z.literal('package'),
    package_size: z.number().int().positive(),
    package_amount: decimalAmount,
  }),
  z.strictObject({
    model: z.literal('graduated'),
    tiers: z
      .array(
        z.strictObject({
          up_to: z.number().int().positive().nullable(),
          unit_amount: decimalAmount,
          flat_amount: minorUnits.default(0),
        }),
      )
      .min(1)
      .superRefine((tiers, context) => {
        tiers.forEach((tier, index) => {
          const previous = tiers[index - 1];
          const isLast = index === tiers.length - 1;
          if (isLast && tier.up_to !== null) {
            context.addIssue({
              code: 'custom',
              path: [index, 'up_to'],
              message: 'the last tier must have up_to: null',
            });
          }
          if (!isLast && tier.up_to === null) {
            context.addIssue({
              code: 'custom',
              path: [index, 'up_to'],
              message: 'only the last tier may be open-ended',
            });
          }
          if (previous?.up_to != null && tier.up_to !== null && tier.up_to <= previous.up_to) {
            context.addIssue({ code: 'custom', path: [index, 'up_to'], message: 'tiers must ascend' });
          }
        });
      }),
  }),
]);
export type OveragePricing = z.infer<typeof overagePricing>;

export const aggregation = z.enum(['sum', 'count', 'max', 'unique_count', 'latest']);
export type Aggregation = z.infer<typeof aggregation>;

/** A feature the host app meters or gates. `events` maps ingested event names onto it. */
const featureDefinition = z.strictObject({
  name: z.string().min(1),
  kind: z.enum(['metered', 'boolean', 'seats']).default('metered'),
  unit: z.string().min(1).default('unit'),
  aggregation: aggregation.default('sum'),
  /** Event names counted toward this feature; defaults to the feature code itself. */
  events: z.array(code).min(1).optional(),
  /** For unique_count: the event property whose distinct values are counted. */
  unique_property: z.string().min(1).optional(),
  /** When the counter starts again from zero. Gauges such as storage usually never reset. */
  reset: z.enum(['billing_period', 'never']).default('billing_period'),
});

/** What one plan grants for one feature. */
const planFeature = z.union([
  z.boolean(),
  z.strictObject({
    included: z.union([decimalAmount, z.literal('unlimited')]),
    cap: z.enum(['hard', 'soft']).default('hard'),
    overage: overagePricing.nullable().default(null),
    /** Soft cap with no overage price: how far past the limit usage may go before it is denied. */
    grace_percent: z.number().min(0).max(1000).optional(),
  }),
]);
export type PlanFeature = z.infer<typeof planFeature>;

const plan = z.strictObject({
  name: z.string().min(1),
  description: z.string().default(''),
  prices: z.strictObject({ monthly: recurringPrice, yearly: recurringPrice.optional() }),
  trial_days: z.number().int().min(0).max(730).default(0),
  /** Subscription credits granted at the start of each billing period; they expire at its end. */
  credits_per_period: z.number().int().min(0).default(0),
  features: z.record(code, planFeature),
  /** Shown in upgrade prompts for organizations on this plan. */
  upgrade_to: code.optional(),
});
export type Plan = z.infer<typeof plan> & { code: string };

const creditPack = z.strictObject({
  name: z.string().min(1),
  credits: z.number().int().positive(),
  price: z.strictObject({ amount: minorUnits.min(1) }),
});

const creditEvent = z.strictObject({
  credits: decimalAmount,
  description: z.string().default(''),
});

/** Payment method types Checkout accepts (Stripe's list); card and us_bank_account are always offered. */
export const checkoutPaymentMethods = [
  'acss_debit',
  'affirm',
  'afterpay_clearpay',
  'alipay',
  'amazon_pay',
  'au_becs_debit',
  'bacs_debit',
  'bancontact',
  'blik',
  'boleto',
  'card',
  'cashapp',
  'customer_balance',
  'eps',
  'fpx',
  'grabpay',
  'ideal',
  'klarna',
  'konbini',
  'link',
  'mobilepay',
  'multibanco',
  'oxxo',
  'p24',
  'pay_by_bank',
  'paynow',
  'paypal',
  'pix',
  'promptpay',
  'revolut_pay',
  'sepa_debit',
  'swish',
  'twint',
  'us_bank_account',
  'wechat_pay',
  'zip',
] as const;
export type CheckoutPaymentMethod = (typeof checkoutPaymentMethods)[number];

/** How plans are sold through Stripe. */
const billingSettings = z
  .strictObject({
    /** Offered at Checkout besides card and us_bank_account (ACH), which are always offered. */
    payment_methods: z
      .array(z.enum(checkoutPaymentMethods))
      .max(checkoutPaymentMethods.length)
      .default([])
      .refine((methods) => new Set(methods).size === methods.length, 'must not repeat a payment method'),
    /** Stripe Tax on Checkout and subscriptions; prices are created tax-exclusive when on. */
    automatic_tax: z.boolean().default(true),
    /**
     * Subscribers keep the price and limits they signed up with (grandfathered) unless this is true,
     * in which case they move to the plan's current version at their next renewal.
     */
    migrate_at_renewal: z.boolean().default(false),
  })
  .prefault({});
export type BillingSettings = z.infer<typeof billingSettings>;

export const catalogSchema = z
  .strictObject({
    version: z.string().min(1).max(64).optional(),
    currency,
    default_plan: code.default('free'),
    features: z.record(code, featureDefinition),
    plans: z.record(code, plan),
    credit_packs: z.record(code, creditPack).default({}),
    credit_events: z.record(code, creditEvent).default({}),
    credits: z
      .strictObject({
        /** Credits are counted in whole units unless set false. */
        whole_credits: z.boolean().default(true),
        precedence: z.enum(['purchased_first', 'soonest_expiry_first']).default('purchased_first'),
        low_balance_threshold: z.number().int().min(0).default(1000),
        transfer_daily_limit: z.number().int().positive().nullable().default(null),
      })
      .prefault({}),
    metering: z
      .strictObject({
        alert_thresholds: z.array(z.number().int().positive().max(10_000)).default([80, 100, 120]),
        default_grace_percent: z.number().min(0).max(1000).default(10),
      })
      .prefault({}),
    billing: billingSettings,
    upgrade_url: z
      .union([z.string().url(), z.string().regex(/^\/[^/]/, 'an absolute URL or a path starting with /')])
      .optional()
      .describe('The upgrade page; a path is resolved against PUBLIC_URL'),
  })
  .superRefine((catalog, context) => {
    if (!(catalog.default_plan in catalog.plans)) {
      context.addIssue({
        code: 'custom',
        path: ['default_plan'],
        message: `no plan "${catalog.default_plan}"`,
      });
    }
    for (const [planCode, definition] of Object.entries(catalog.plans)) {
      for (const featureCode of Object.keys(definition.features)) {
        if (!(featureCode in catalog.features)) {
          context.addIssue({
            code: 'custom',
            path: ['plans', planCode, 'features', featureCode],
            message: `unknown feature "${featureCode}"; declare it under features`,
          });
        }
      }
      if (definition.upgrade_to && !(definition.upgrade_to in catalog.plans)) {
        context.addIssue({
          code: 'custom',
          path: ['plans', planCode, 'upgrade_to'],
          message: 'unknown plan',
        });
      }
    }
    const owners = new Map<string, string>();
    for (const [featureCode, feature] of Object.entries(catalog.features)) {
      for (const eventName of feature.events ?? [featureCode]) {
        const owner = owners.get(eventName);
        if (owner) {
          context.addIssue({
            code: 'custom',
            path: ['features', featureCode, 'events'],
            message: `event "${eventName}" already counts toward "${owner}"`,
          });
        }
        owners.set(eventName, featureCode);
        if (eventName in catalog.credit_events) {
          context.addIssue({
            code: 'custom',
            path: ['credit_events', eventName],
            message: `"${eventName}" is both a feature event and a credit event`,
          });
        }
      }
      if (feature.aggregation === 'unique_count' && !feature.unique_property) {
        context.addIssue({
          code: 'custom',
          path: ['features', featureCode, 'unique_property'],
          message: 'unique_count needs unique_property',
        });
      }
    }
    if (catalog.currency !== 'usd' && catalog.billing.payment_methods.includes('us_bank_account')) {
      context.addIssue({
        code: 'custom',
        path: ['billing', 'payment_methods'],
        message: 'us_bank_account (ACH) takes US dollars only; the catalog currency is not usd',
      });
    }
    if (!catalog.credits.whole_credits) return;
    for (const [eventName, event] of Object.entries(catalog.credit_events)) {
      if (event.credits.includes('.')) {
        context.addIssue({
          code: 'custom',
          path: ['credit_events', eventName, 'credits'],
          message: 'must be a whole number while credits.whole_credits is true',
        });
      }
    }
  });

export type CatalogInput = z.input<typeof catalogSchema>;
export type CatalogDefinition = z.output<typeof catalogSchema>;
