import type Stripe from 'stripe';
import type { Sandbox } from '../sandbox.js';
import type { Wire } from '../wire.js';
import { attemptInvoicePayment, buildInvoice, finalizeInvoice, type Invoice } from './invoices.js';
import { DAY } from './periods.js';
import { asRenewingAt } from './schedule-lifecycle.js';
import { type ScheduledAction, scheduleActions } from './schedule-phases.js';
import { licensedLines, meteredLines } from './subscription-lines.js';
import { renewSubscription } from './subscription-renewal.js';
import type { Schedule } from './subscription-schedules.js';
import { clockOfSubscription, type Subscription, setSubscriptionStatus } from './subscription-state.js';

type CheckoutSession = Wire<Stripe.Checkout.Session>;

interface Flags {
  id: string;
  trialWillEndSentFor: number | null;
  upcomingSentFor: number | null;
}

type Action = ScheduledAction;

const TRIAL_WILL_END_NOTICE = 3 * DAY;
const UPCOMING_NOTICE = 7 * DAY;
const INCOMPLETE_EXPIRY = 23 * 3600;

function flagsOf(sandbox: Sandbox, subscriptionId: string): Flags {
  return (
    sandbox.store.get<Flags>('_subscription_flags', subscriptionId) ?? {
      id: subscriptionId,
      trialWillEndSentFor: null,
      upcomingSentFor: null,
    }
  );
}

function subscriptionActions(sandbox: Sandbox, subscription: Subscription): Action[] {
  const item = subscription.items.data[0];
  if (!item) return [];
  const actions: Action[] = [];
  const flags = flagsOf(sandbox, subscription.id);
  const clockId = clockOfSubscription(subscription);
  const periodEnd = item.current_period_end;
  if (subscription.status === 'incomplete') {
    actions.push({
      at: subscription.created + INCOMPLETE_EXPIRY,
      run: () => setSubscriptionStatus(sandbox, subscription, 'incomplete_expired'),
    });
    return actions;
  }
  if (!['active', 'trialing', 'past_due'].includes(subscription.status)) return actions;
  const trialEnd = subscription.trial_end;
  if (subscription.status === 'trialing' && trialEnd !== null && flags.trialWillEndSentFor !== trialEnd) {
    actions.push({
      at: Math.max(subscription.created, trialEnd - TRIAL_WILL_END_NOTICE),
      run: () => {
        sandbox.emit('customer.subscription.trial_will_end', subscription, { clockId });
        sandbox.store.put('_subscription_flags', { ...flags, trialWillEndSentFor: trialEnd });
      },
    });
  }
  const willRenew = !subscription.cancel_at_period_end && subscription.cancel_at === null;
  if (
    willRenew &&
    flags.upcomingSentFor !== periodEnd &&
    periodEnd - UPCOMING_NOTICE > item.current_period_start
  ) {
    actions.push({
      at: periodEnd - UPCOMING_NOTICE,
      run: () => {
        const preview = buildInvoice(sandbox, {
          customer: subscription.customer as string,
          subscription: subscription.id,
          lines: [
            ...licensedLines(
              sandbox,
              asRenewingAt(sandbox, subscription, periodEnd),
              { start: periodEnd, end: periodEnd },
              false,
            ),
            ...meteredLines(sandbox, subscription, { start: item.current_period_start, end: periodEnd }),
          ],
          billingReason: 'upcoming',
          periodStart: item.current_period_start,
          periodEnd,
          automaticTax: subscription.automatic_tax.enabled,
        });
        sandbox.emit('invoice.upcoming', { ...preview, id: null }, { clockId });
        sandbox.store.put('_subscription_flags', {
          ...flagsOf(sandbox, subscription.id),
          upcomingSentFor: periodEnd,
        });
      },
    });
  }
  const cancelAt = subscription.cancel_at;
  actions.push({
    at: cancelAt !== null && cancelAt < periodEnd ? cancelAt : periodEnd,
    run: () => renewSubscription(sandbox, subscription),
  });
  return actions;
}

function invoiceActions(sandbox: Sandbox, invoice: Invoice): Action[] {
  if (invoice.status === 'draft' && invoice.automatically_finalizes_at !== null) {
    return [
      {
        at: invoice.automatically_finalizes_at,
        run: () => {
          finalizeInvoice(sandbox, invoice);
          attemptInvoicePayment(sandbox, invoice);
        },
      },
    ];
  }
  if (invoice.status === 'open' && invoice.next_payment_attempt !== null) {
    return [{ at: invoice.next_payment_attempt, run: () => attemptInvoicePayment(sandbox, invoice) }];
  }
  return [];
}

function checkoutActions(sandbox: Sandbox, session: CheckoutSession): Action[] {
  if (session.status !== 'open') return [];
  return [
    {
      at: session.expires_at,
      run: () => {
        session.status = 'expired';
        session.url = null;
        sandbox.store.put('checkout_sessions', session);
        sandbox.emit('checkout.session.expired', session, {
          clockId: sandbox.clockOfCustomer(session.customer as string | null),
        });
      },
    },
  ];
}

/** Everything due on one clock (null = the wall clock), each with the time it falls due. */
function dueActions(sandbox: Sandbox, clockId: string | null): Action[] {
  const actions: Action[] = [];
  // Schedules first: a phase that ends with the period is applied before the period renews.
  for (const schedule of sandbox.store.all<Schedule>('subscription_schedules')) {
    if ((schedule.test_clock ?? null) === clockId) actions.push(...scheduleActions(sandbox, schedule));
  }
  for (const subscription of sandbox.store.all<Subscription>('subscriptions')) {
    if (clockOfSubscription(subscription) === clockId)
      actions.push(...subscriptionActions(sandbox, subscription));
  }
  for (const invoice of sandbox.store.all<Invoice>('invoices')) {
    if ((invoice.test_clock ?? null) === clockId) actions.push(...invoiceActions(sandbox, invoice));
  }
  for (const session of sandbox.store.all<CheckoutSession>('checkout_sessions')) {
    if (sandbox.clockOfCustomer(session.customer as string | null) === clockId) {
      actions.push(...checkoutActions(sandbox, session));
    }
  }
  return actions;
}

/**
 * Runs, in time order, everything due on a clock up to `until`. For a test clock its frozen time steps
 * to each action's moment first, so events and objects carry the time Stripe would give them.
 */
export function runDueWork(sandbox: Sandbox, clockId: string | null, until: number): void {
  const clock = clockId
    ? sandbox.store.get<Wire<Stripe.TestHelpers.TestClock>>('test_clocks', clockId)
    : null;
  for (let guard = 0; guard < 10_000; guard++) {
    const next = dueActions(sandbox, clockId)
      .filter((action) => action.at <= until)
      .sort((a, b) => a.at - b.at)[0];
    if (!next) break;
    if (clock && next.at > clock.frozen_time) {
      clock.frozen_time = next.at;
      sandbox.store.put('test_clocks', clock);
    }
    next.run();
  }
  if (clock) {
    clock.frozen_time = until;
    sandbox.store.put('test_clocks', clock);
  }
}
