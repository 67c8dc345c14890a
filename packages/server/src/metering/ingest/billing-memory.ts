import type { BillingContext } from '@tollgate/core';
import type { DatabaseHandle } from '../../db/client.js';
import { listenForChanges } from '../../db/notifications.js';
import { CHECK_STATE_CHANGED_CHANNEL, parseCheckStateChange } from '../check/check-state-cache.js';
import type { BillingStates } from './ingest-events.js';

/**
 * The billing contexts the ingest worker read, kept for its next transactions (decision 24). The
 * request thread's ingestion uses what its checks remember (check-state-cache.ts); the worker has no
 * checks, and reading 100 organizations' contexts again in every transaction cost PostgreSQL about a
 * fifth of its time under a stream of events. It forgets an organization when the triggers announce a
 * billing change of it (any process, hand-run SQL included), when its own process commits one
 * (`forget`, sent ahead of any later request), and everything whenever notifications may have been
 * missed.
 */
export type BillingMemory = BillingStates & {
  /**
   * Runs `load` and remembers what it answers, except organizations invalidated (or everything
   * cleared) after it began: a read that a change overtook must not outlive the change.
   */
  loadAndRemember(load: () => Promise<Map<string, BillingContext>>): Promise<Map<string, BillingContext>>;
  /** This process committed billing changes of these organizations. */
  forget(organizationIds: Iterable<string>): void;
  close(): Promise<void>;
};

export type BillingMemoryOptions = {
  /** Organizations remembered at most; past it everything is forgotten at once (default 100,000). */
  maxOrganizations?: number;
};

export async function createBillingMemory(
  database: Pick<DatabaseHandle, 'listen'>,
  options: BillingMemoryOptions = {},
): Promise<BillingMemory> {
  const maxOrganizations = options.maxOrganizations ?? 100_000;
  const contexts = new Map<string, { context: BillingContext }>();
  // Sequence numbers, as in check-state-cache.ts: a load remembers an organization only if it was not
  // invalidated, nor everything cleared, after the load began.
  let sequence = 0;
  let clearedAt = 0;
  const invalidatedAt = new Map<string, number>();
  let loadsInFlight = 0;
  let closing: Promise<void> | undefined;

  const forgetAll = () => {
    sequence += 1;
    clearedAt = sequence;
    contexts.clear();
    invalidatedAt.clear();
  };
  const forget = (organizationIds: Iterable<string>) => {
    for (const organizationId of organizationIds) {
      sequence += 1;
      contexts.delete(organizationId);
      if (loadsInFlight > 0) invalidatedAt.set(organizationId, sequence);
    }
    if (invalidatedAt.size > maxOrganizations) forgetAll();
  };
  const changes = await listenForChanges(database, CHECK_STATE_CHANGED_CHANNEL, {
    onMessage(payload) {
      const change = parseCheckStateChange(payload);
      if (change.kind === 'billing') forget(change.organizationIds);
    },
    forgetAll,
  });

  return {
    rememberedBilling(organizationId) {
      return changes.listening() ? contexts.get(organizationId) : undefined;
    },
    async loadAndRemember(load) {
      const startedAt = sequence;
      loadsInFlight += 1;
      let loaded: Map<string, BillingContext>;
      try {
        loaded = await load();
      } finally {
        loadsInFlight -= 1;
      }
      if (changes.listening() && clearedAt <= startedAt) {
        for (const [organizationId, context] of loaded) {
          if ((invalidatedAt.get(organizationId) ?? 0) > startedAt) continue;
          if (contexts.size >= maxOrganizations && !contexts.has(organizationId)) forgetAll();
          contexts.set(organizationId, { context });
        }
      }
      if (loadsInFlight === 0) invalidatedAt.clear();
      return loaded;
    },
    forget,
    close() {
      closing ??= changes.stop();
      return closing;
    },
  };
}
