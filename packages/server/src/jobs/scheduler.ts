import type { Catalog } from '@tollgate/core';
import type { FastifyBaseLogger } from 'fastify';
import { runCreditJobs } from '../credits/index.js';
import type { DatabaseHandle } from '../db/client.js';
import { type InvariantCursor, watchInvariants } from '../invariants/invariant-watch.js';
import { renewSubscriptionPeriods } from '../subscriptions/renew-periods.js';
import { startPeriodicRound } from './periodic-round.js';

/** One key for the periodic jobs: whichever process takes it runs them; the others skip that round. */
export const JOBS_LOCK_KEY = 7_400_412_002;

export type JobsRun =
  | { ran: false }
  | {
      ran: true;
      renewed_subscriptions: number;
      expired_wallets: number;
      allocations: number;
      /** Organizations the invariant watch parked in this round (invariants/invariant-watch.ts). */
      parked_organizations: string[];
    };

/**
 * One round of the periodic jobs: subscription renewal first, so that credit expiry and allocation
 * see each subscription's new period in the same round. Every job is idempotent, so a round that
 * overlaps with another changes nothing twice; the lock only saves work. The invariant watch goes on
 * from `invariantCursor` (a fresh one starts from the first organization).
 */
export async function runScheduledJobs(
  database: DatabaseHandle,
  catalog: Catalog,
  now: Date,
  invariantCursor: InvariantCursor = { after: null },
): Promise<JobsRun> {
  const outcome = await database.tryWithAdvisoryLock(JOBS_LOCK_KEY, async (db) => {
    const { renewed } = await renewSubscriptionPeriods(db, now, {
      migrateToCatalogHash: catalog.definition.billing.migrate_at_renewal ? catalog.hash : null,
    });
    const credits = await runCreditJobs(db, catalog, now);
    // Last, so that it checks what this round's renewals and allocations left.
    const invariants = await watchInvariants(db, now, { cursor: invariantCursor });
    return { renewed_subscriptions: renewed, ...credits, parked_organizations: invariants.parked };
  });
  return outcome.ran ? { ran: true, ...outcome.result } : { ran: false };
}

/** Runs the jobs every `intervalMs` until stopped; a failing round is logged and the next one tries again. */
export function startJobScheduler(options: {
  database: DatabaseHandle;
  catalog: Catalog;
  now: () => Date;
  intervalMs: number;
  logger: FastifyBaseLogger;
}): { stop(): Promise<void> } {
  // This process's place in the watch's ring of organizations; another process taking the lock keeps its own.
  const invariantCursor: InvariantCursor = { after: null };
  return startPeriodicRound(
    async () => {
      const result = await runScheduledJobs(
        options.database,
        options.catalog,
        options.now(),
        invariantCursor,
      );
      if (result.ran && result.parked_organizations.length > 0) {
        options.logger.error(
          { parked_organizations: result.parked_organizations },
          'invariant watch: organizations parked (ledger or usage counters inconsistent); no Stripe calls for them until cleared with DELETE /v1/admin/parked/{organizationId}',
        );
      }
      if (
        result.ran &&
        (result.renewed_subscriptions > 0 || result.expired_wallets > 0 || result.allocations > 0)
      ) {
        options.logger.info({ jobs: result }, 'periodic jobs renewed subscriptions or changed balances');
      }
    },
    {
      intervalMs: options.intervalMs,
      runAtStart: true,
      onError: (error) => options.logger.error({ err: error }, 'periodic jobs failed'),
    },
  );
}
