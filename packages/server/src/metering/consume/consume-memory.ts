import type { Decimal } from '@tollgate/core';

/**
 * The usage of organization counters as this process last read them under lock or wrote them, so a
 * consume batch can decide without reading them again (consume-batch.ts). It is only a guess: the
 * statement that writes such a batch first checks that every counter it read still holds the usage
 * remembered here, and the batch is decided again under lock when one does not. So nothing here has to
 * follow other processes' writes; forgetting an organization this process itself moved some other way
 * (ingestion, a plan change) only spares that failed attempt.
 */
export type ConsumeMemory = {
  /** The remembered usage of an organization's counter for a feature (`counter`: its `counterKey`). */
  usage(organizationId: string, feature: string, counter: string): Decimal | undefined;
  /**
   * Usage that committed, or was read under lock. One counter is kept per organization and feature:
   * the newest, so a counter of a period that ended is forgotten once the next one is remembered.
   */
  remember(organizationId: string, feature: string, counter: string, used: Decimal): void;
  forget(organizationIds: Iterable<string>): void;
  /**
   * How consume batches went since the process started: decided on remembered usage and written in
   * one statement, found changed by that statement (then decided under lock), decided under lock.
   */
  readonly batches: { fromMemory: number; changed: number; underLock: number };
};

/** Organizations remembered at most; past it, the one remembered longest ago goes first. */
const DEFAULT_MAX_ORGANIZATIONS = 100_000;

export function createConsumeMemory(maxOrganizations = DEFAULT_MAX_ORGANIZATIONS): ConsumeMemory {
  // Map order is insertion order: an organization is moved to the end whenever it is remembered.
  const byOrganization = new Map<string, Map<string, { counter: string; used: Decimal }>>();
  return {
    batches: { fromMemory: 0, changed: 0, underLock: 0 },
    usage(organizationId, feature, counter) {
      const known = byOrganization.get(organizationId)?.get(feature);
      return known?.counter === counter ? known.used : undefined;
    },
    remember(organizationId, feature, counter, used) {
      let counters = byOrganization.get(organizationId);
      if (counters) byOrganization.delete(organizationId);
      else counters = new Map();
      counters.set(feature, { counter, used });
      byOrganization.set(organizationId, counters);
      if (byOrganization.size > maxOrganizations) {
        const oldest = byOrganization.keys().next().value;
        if (oldest !== undefined) byOrganization.delete(oldest);
      }
    },
    forget(organizationIds) {
      for (const organizationId of organizationIds) byOrganization.delete(organizationId);
    },
  };
}
