import type Stripe from 'stripe';
import type { Sandbox } from '../sandbox.js';
import { newId } from '../state/ids.js';
import type { Wire } from '../wire.js';
import { clockOfSubscription, type Subscription } from './subscription-state.js';

type Price = Wire<Stripe.Price>;
type InvoiceItem = Wire<Stripe.InvoiceItem> & { subscription_item?: string };

/** Stores a pending proration invoice item; the next invoice of the subscription picks it up. */
export function prorationItem(
  sandbox: Sandbox,
  subscription: Subscription,
  itemId: string,
  price: Price,
  amount: number,
  quantity: number,
  period: { start: number; end: number },
  description: string,
): void {
  const item: InvoiceItem = {
    id: newId('ii'),
    object: 'invoiceitem',
    amount,
    currency: price.currency,
    customer: subscription.customer as string,
    customer_account: null,
    date: period.start,
    description,
    discountable: false,
    discounts: [],
    invoice: null,
    livemode: false,
    metadata: {},
    net_amount: amount,
    parent: {
      type: 'subscription_details',
      subscription_details: { subscription: subscription.id, subscription_item: itemId },
    },
    period,
    pricing: {
      type: 'price_details',
      price_details: { price: price.id, product: price.product as string },
      unit_amount_decimal: price.unit_amount_decimal,
    },
    proration: true,
    proration_details: { credited_items: null, discount_amounts: [] },
    quantity,
    quantity_decimal: String(quantity),
    tax_rates: [],
    test_clock: clockOfSubscription(subscription),
    subscription_item: itemId,
  };
  sandbox.store.insert('invoiceitems', item);
}
