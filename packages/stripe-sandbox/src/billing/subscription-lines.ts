import type Stripe from 'stripe';
import { roundMinorUnits } from '../arithmetic/fraction.js';
import type { Sandbox } from '../sandbox.js';
import type { Wire } from '../wire.js';
import type { DraftLine } from './invoices.js';
import { amountForQuantity } from './rating.js';
import type { Subscription } from './subscription-state.js';
import { meterUsage } from './usage.js';

type Price = Wire<Stripe.Price>;
type InvoiceItem = Wire<Stripe.InvoiceItem>;

export function productName(sandbox: Sandbox, price: Price): string {
  const product = sandbox.store.get<Wire<Stripe.Product>>('products', price.product as string);
  return product?.name ?? price.nickname ?? price.id;
}

function money(amount: string | null, currency: string): string {
  const value = Number(amount ?? '0') / 100;
  return `${currency.toUpperCase()} ${value.toFixed(2)}`;
}

/** Licensed items billed in advance for [start, end). During a trial they are listed at zero. */
export function licensedLines(
  sandbox: Sandbox,
  subscription: Subscription,
  period: { start: number; end: number },
  trial: boolean,
): DraftLine[] {
  return subscription.items.data
    .filter((item) => item.price.recurring?.usage_type !== 'metered')
    .map((item) => {
      const quantity = item.quantity ?? 1;
      const name = productName(sandbox, item.price as Price);
      const interval = item.price.recurring?.interval ?? 'month';
      return {
        amount: trial ? 0 : roundMinorUnits(amountForQuantity(item.price as Price, quantity)),
        description: trial
          ? `Trial period for ${name}`
          : `${quantity} × ${name} (at ${money(item.price.unit_amount_decimal as string | null, item.price.currency)} / ${interval})`,
        period,
        price: item.price as Price,
        quantity,
        subscriptionItem: item.id,
        invoiceItem: null,
        proration: false,
      };
    });
}

/** Metered items billed in arrears: usage from meter events over [start, end), rated by the price. */
export function meteredLines(
  sandbox: Sandbox,
  subscription: Subscription,
  period: { start: number; end: number },
): DraftLine[] {
  const lines: DraftLine[] = [];
  for (const item of subscription.items.data) {
    const price = item.price as Price;
    const meterId = price.recurring?.meter;
    if (price.recurring?.usage_type !== 'metered' || !meterId) continue;
    const meter = sandbox.store.get<Wire<Stripe.Billing.Meter>>('billing_meters', meterId);
    if (!meter) continue;
    const usage = meterUsage(sandbox, meter, subscription.customer as string, period.start, period.end);
    lines.push({
      amount: roundMinorUnits(amountForQuantity(price, usage)),
      description: `${usage.toDecimalText()} × ${productName(sandbox, price)} (metered usage)`,
      period,
      price,
      quantity: usage.toNumber(),
      subscriptionItem: item.id,
      invoiceItem: null,
      proration: false,
    });
  }
  return lines;
}

/** Pending invoice items (prorations) of a subscription, claimed by the invoice being built. */
export function pendingItemLines(
  sandbox: Sandbox,
  subscription: Subscription,
  invoiceId: string | null,
): DraftLine[] {
  const pending = sandbox.store
    .all<InvoiceItem & { subscription_item?: string }>('invoiceitems')
    .filter(
      (item) => item.invoice === null && item.parent?.subscription_details?.subscription === subscription.id,
    )
    .reverse();
  return pending.map((item) => {
    if (invoiceId) {
      item.invoice = invoiceId;
      sandbox.store.put('invoiceitems', item);
    }
    return {
      amount: item.amount,
      description: item.description ?? '',
      period: item.period,
      price:
        (item.pricing?.price_details?.price
          ? sandbox.store.get<Price>('prices', item.pricing.price_details.price as string)
          : null) ?? null,
      quantity: item.quantity,
      subscriptionItem: item.subscription_item ?? null,
      invoiceItem: item.id,
      proration: item.proration,
    };
  });
}
