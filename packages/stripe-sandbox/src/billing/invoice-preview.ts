import type Stripe from 'stripe';
import { Fraction, roundMinorUnits } from '../arithmetic/fraction.js';
import { errors } from '../http/errors.js';
import type { Sandbox } from '../sandbox.js';
import type { Wire } from '../wire.js';
import { buildInvoice, type DraftLine, type Invoice } from './invoices.js';
import { addInterval } from './periods.js';
import { amountForQuantity } from './rating.js';
import { asRenewingAt } from './schedule-lifecycle.js';
import { licensedLines, meteredLines, pendingItemLines, productName } from './subscription-lines.js';
import { clockOfSubscription, type Subscription } from './subscription-state.js';

type Price = Wire<Stripe.Price>;

export interface PreviewRequest {
  customer?: string;
  subscription?: string;
  subscription_details?: {
    items?: { id?: string; price?: string; quantity?: number; deleted?: boolean }[];
    proration_behavior?: 'create_prorations' | 'none' | 'always_invoice';
    proration_date?: number;
    cancel_at_period_end?: boolean;
  };
  automatic_tax?: { enabled: boolean };
}

/**
 * The invoice the subscription would produce next, optionally with proposed item changes applied:
 * prorations for the change (if any) plus the next renewal. Nothing is stored or emitted.
 */
export function previewInvoice(sandbox: Sandbox, request: PreviewRequest): Invoice {
  if (!request.subscription) {
    if (!request.customer) throw errors.missingParameter('customer');
    return {
      ...buildInvoice(sandbox, {
        customer: request.customer,
        subscription: null,
        lines: [],
        billingReason: 'manual',
        periodStart: sandbox.now(sandbox.clockOfCustomer(request.customer)),
        periodEnd: sandbox.now(sandbox.clockOfCustomer(request.customer)),
        automaticTax: request.automatic_tax?.enabled ?? false,
      }),
      id: `upcoming_in_${Date.now()}`,
    } as Invoice;
  }
  const stored = sandbox.store.require<Subscription>(
    'subscriptions',
    request.subscription,
    'subscription',
    'subscription',
  );
  const subscription = structuredClone(stored);
  const first = subscription.items.data[0];
  if (!first) throw errors.invalidValue('subscription', 'The subscription has no items.');
  const period = { start: first.current_period_start, end: first.current_period_end };
  const now = request.subscription_details?.proration_date ?? sandbox.now(clockOfSubscription(subscription));
  const behavior = request.subscription_details?.proration_behavior ?? 'create_prorations';
  const fraction = Fraction.max(
    0,
    Fraction.min(1, Fraction.of(period.end - now).div(Math.max(1, period.end - period.start))),
  );
  const prorations: DraftLine[] = [];
  for (const [index, change] of (request.subscription_details?.items ?? []).entries()) {
    const existing = change.id ? subscription.items.data.find((item) => item.id === change.id) : undefined;
    const price = change.price
      ? sandbox.store.require<Price>(
          'prices',
          change.price,
          'price',
          `subscription_details[items][${index}][price]`,
        )
      : (existing?.price as Price | undefined);
    if (!price) continue;
    const quantity = change.deleted ? 0 : (change.quantity ?? existing?.quantity ?? 1);
    const prorate =
      behavior !== 'none' && subscription.status !== 'trialing' && price.recurring?.usage_type !== 'metered';
    if (prorate && existing) {
      const credit = roundMinorUnits(
        amountForQuantity(existing.price as Price, existing.quantity ?? 1).times(fraction),
      );
      prorations.push({
        amount: -credit,
        description: `Unused time on ${productName(sandbox, existing.price as Price)}`,
        period: { start: now, end: period.end },
        price: existing.price as Price,
        quantity: existing.quantity ?? 1,
        subscriptionItem: existing.id,
        invoiceItem: null,
        proration: true,
      });
    }
    if (prorate && quantity > 0) {
      const debit = roundMinorUnits(amountForQuantity(price, quantity).times(fraction));
      prorations.push({
        amount: debit,
        description: `Remaining time on ${productName(sandbox, price)}`,
        period: { start: now, end: period.end },
        price,
        quantity,
        subscriptionItem: existing?.id ?? 'si_preview',
        invoiceItem: null,
        proration: true,
      });
    }
    if (existing && change.deleted)
      subscription.items.data = subscription.items.data.filter((item) => item.id !== existing.id);
    else if (existing) {
      existing.price = price;
      existing.quantity = quantity;
    }
  }
  const interval = first.price.recurring;
  const next = {
    start: period.end,
    end: addInterval(period.end, interval?.interval ?? 'month', interval?.interval_count ?? 1),
  };
  const immediate = behavior === 'always_invoice';
  // Without proposed changes the preview is the next renewal, on the schedule's next phase if any.
  const proposed = (request.subscription_details?.items ?? []).length > 0;
  const lines = immediate
    ? prorations
    : [
        ...prorations,
        ...pendingItemLines(sandbox, subscription, null),
        ...(request.subscription_details?.cancel_at_period_end
          ? []
          : licensedLines(
              sandbox,
              proposed ? subscription : asRenewingAt(sandbox, subscription, period.end),
              next,
              false,
            )),
        ...meteredLines(sandbox, subscription, period),
      ];
  const invoice = buildInvoice(
    sandbox,
    {
      customer: subscription.customer as string,
      subscription: subscription.id,
      lines,
      billingReason: immediate ? 'subscription_update' : 'upcoming',
      periodStart: immediate ? now : period.start,
      periodEnd: immediate ? now : period.end,
      automaticTax: request.automatic_tax?.enabled ?? subscription.automatic_tax.enabled,
    },
    `upcoming_in_${subscription.id.slice(4)}`,
  );
  return invoice;
}
