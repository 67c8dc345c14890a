import { type Catalog, planSubscriptionAllocation } from '@tollgate/core';
import { and, gt, inArray, lte, ne, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { creditLots, subscriptions } from '../db/schema/index.js';
import { withTransaction } from '../db/transaction.js';
import { AppError } from '../errors.js';
import { effectivePlanCode } from '../subscriptions/assign-plan.js';
import { subscriptionPages } from '../subscriptions/subscription-pages.js';
import { expireDueLots } from './expire-due.js';
import { grantCreditsOnce } from './grant.js';
import { operationKeyOf, storedOperationKeys } from './idempotency.js';
import { updateLowBalance } from './low-balance.js';
import { lockWallet, type Wallet } from './wallet.js';

/**
 * Journals the expiry of every lot past its expires_at, one wallet per transaction. Safe to run from
 * several processes at once: each wallet is locked, and a second run finds nothing left to expire.
 */
export async function expireCredits(db: Database, catalog: Catalog, now: Date): Promise<{ wallets: number }> {
  const due = await db
    .selectDistinct({ organizationId: creditLots.organizationId, walletUserId: creditLots.walletUserId })
    .from(creditLots)
    .where(and(lte(creditLots.expiresAt, now), gt(creditLots.remaining, '0')));
  for (const row of due) {
    const wallet: Wallet = { organizationId: row.organizationId, userId: row.walletUserId || null };
    await withTransaction(db, async (tx) => {
      const locked = await lockWallet(tx, wallet);
      if (!locked) return;
      const lotsAfter = await expireDueLots(tx, wallet, locked.lots, now);
      await updateLowBalance(tx, {
        wallet,
        state: locked.state,
        lotsAfter,
        defaultThreshold: catalog.definition.credits.low_balance_threshold,
        now,
      });
    });
  }
  return { wallets: due.length };
}

/** Subscriptions read and checked per query: a round's memory stays bounded however many there are. */
const ALLOCATION_PAGE_SIZE = 500;

/**
 * Grants each live subscription its plan's credits for the period it is in, once per period (the
 * grant's idempotency key is the subscription and period start). The credits expire at the period end.
 *
 * The jobs run every minute in every process, and nearly every subscription was already granted for
 * its period: one query per page finds which keys are already stored, so a round opens a transaction
 * only for the grants still due, instead of one per live subscription.
 */
export async function allocateSubscriptionCredits(
  db: Database,
  catalog: Catalog,
  now: Date,
  options: { pageSize?: number } = {},
): Promise<{ granted: number; already_granted: number }> {
  const pageSize = options.pageSize ?? ALLOCATION_PAGE_SIZE;
  const planCodes = catalog
    .plans()
    .filter((plan) => plan.credits_per_period > 0)
    .map((plan) => plan.code);
  let granted = 0;
  let alreadyGranted = 0;
  if (planCodes.length === 0) return { granted, already_granted: alreadyGranted };
  const live = and(
    inArray(subscriptions.planCode, planCodes),
    inArray(subscriptions.status, ['active', 'trialing', 'past_due']),
    // Stripe-billed subscriptions are granted per paid period, when their invoice is paid (billing/webhook-handlers).
    ne(subscriptions.source, 'stripe'),
    lte(subscriptions.currentPeriodStart, now),
    sql`${subscriptions.currentPeriodEnd} > ${now}`,
  );
  for await (const page of subscriptionPages(db, live, pageSize)) {
    const due = page.flatMap((subscription) => {
      const grant = planSubscriptionAllocation({
        subscription_id: subscription.id,
        credits_per_period: catalog.plan(effectivePlanCode(catalog, subscription))?.credits_per_period ?? 0,
        period: { start: subscription.currentPeriodStart, end: subscription.currentPeriodEnd },
      });
      return grant ? [{ subscription, grant }] : [];
    });
    const stored = await storedOperationKeys(
      db,
      'allocation',
      due.map(({ subscription, grant }) => ({
        organizationId: subscription.organizationId,
        idempotencyKey: grant.idempotency_key,
      })),
    );
    for (const { subscription, grant } of due) {
      if (stored.has(operationKeyOf(subscription.organizationId, grant.idempotency_key))) {
        alreadyGranted += 1;
        continue;
      }
      try {
        const { replayed } = await grantCreditsOnce(db, catalog, {
          organization_id: subscription.organizationId,
          amount: grant.amount.toFixed(),
          source: 'subscription',
          expires_at: grant.expires_at,
          granted_at: grant.granted_at,
          idempotency_key: grant.idempotency_key,
          now,
          actor: 'system',
          kind: 'allocation',
        });
        if (replayed) alreadyGranted += 1;
        else granted += 1;
      } catch (error) {
        // The plan's allowance changed within a period that was already allocated: keep the first grant.
        if (!(error instanceof AppError && error.code === 'idempotency_key_reused')) throw error;
        alreadyGranted += 1;
      }
    }
  }
  return { granted, already_granted: alreadyGranted };
}

/** The periodic credit work, in the order that keeps balances right: expire first, then allocate. */
export async function runCreditJobs(db: Database, catalog: Catalog, now: Date) {
  const expired = await expireCredits(db, catalog, now);
  const allocated = await allocateSubscriptionCredits(db, catalog, now);
  return { expired_wallets: expired.wallets, allocations: allocated.granted };
}
