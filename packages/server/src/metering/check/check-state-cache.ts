import { randomUUID } from 'node:crypto';
import { counterPeriodAt, usageAfterDelta } from '@tollgate/core';
import type { DatabaseHandle } from '../../db/client.js';
import { listenForChanges } from '../../db/notifications.js';
import { type CounterDelta, ORGANIZATION_TOTAL } from '../tables/usage-counters.js';
import type { BillingState, CheckState, CheckStateRequest } from './check-state.js';

/**
 * Migration 0004's triggers announce here, at commit, whose check state changed: a first line
 * `billing` (the organization or its subscriptions) or `usage` (its organization-wide counters),
 * then the organization ids, one per line. Since migration 0014 a counter write made by a process
 * that moves its own memory itself (`beginUsageWrite`) says so: `usage <writer>`.
 */
export const CHECK_STATE_CHANGED_CHANNEL = 'tollgate_check_state_changed';

/** A notification of CHECK_STATE_CHANGED_CHANNEL; `writer` names the counter writer, when one said so. */
export type CheckStateChange =
  | { kind: 'billing'; organizationIds: string[] }
  | { kind: 'usage'; writer: string | undefined; organizationIds: string[] };

export function parseCheckStateChange(payload: string): CheckStateChange {
  const [kind = '', ...organizationIds] = payload.split('\n');
  if (kind === 'usage') return { kind: 'usage', writer: undefined, organizationIds };
  if (kind.startsWith('usage ')) return { kind: 'usage', writer: kind.slice(6), organizationIds };
  // Anything else forgets more rather than less: a billing change forgets the counters too.
  return { kind: 'billing', organizationIds };
}

export type CheckStateCache = {
  /** What a check reads (billing state and counter): remembered if still valid at `request.now`, else loaded. */
  get(request: CheckStateRequest): Promise<CheckState | undefined>;
  /** The remembered state only, without a promise: undefined when it would have to be loaded. */
  peek(request: CheckStateRequest): CheckState | undefined;
  /** The billing state if remembered, without loading it (ingestion places its events with it). */
  rememberedBilling(organizationId: string): BillingState | undefined;
  /** The billing state alone, for consumes, which read their counters under lock in their own transaction. */
  getBilling(request: CheckStateRequest): Promise<BillingState | undefined>;
  /**
   * This process's own writes call these right after they commit, so that its next answers reflect
   * them without waiting for the notification: usage for counters, billing for plans and subscriptions.
   */
  invalidateUsage(organizationIds: Iterable<string>): void;
  invalidateBilling(organizationIds: Iterable<string>): void;
  /** Forgets everything: a writer whose writes may or may not have committed is gone (ingest-worker-thread.ts). */
  forgetAll(): void;
  /**
   * For a transaction of this process about to move counters, which will report what it committed
   * (ingestion): it sets `writer` for the trigger, so that its notification, which this process
   * ignores, does not make every check reload what the committed deltas move in memory.
   */
  beginUsageWrite(): UsageWrite;
  close(): Promise<void>;
};

export type UsageWrite = {
  /** The name the writing transaction gives itself (`announceCounterWriter`). */
  readonly writer: string;
  /** Its transaction committed these deltas: remembered counters move by them. */
  committed(deltas: readonly CounterDelta[]): void;
  /** Its transaction's outcome is unknown (an error): these organizations are read again. */
  uncertain(organizationIds: Iterable<string>): void;
};

export type CheckStateCacheOptions = {
  /** Organizations remembered at most; past it everything is forgotten at once (default 100,000). */
  maxOrganizations?: number;
};

/**
 * The state a check reads, kept as one object so that answers can be remembered against it;
 * `rememberedAt` is the sequence number when it was stored.
 */
type RememberedUsage = { state: CheckState; periodStart: number; periodEnd: number; rememberedAt: number };

/**
 * Remembers each organization's check state between checks, so that a check costs no database
 * round trip while nothing it reads has changed. The billing state (plan, subscription, period)
 * changes rarely and is kept apart from the usage counters, which every ingest and consume moves.
 * Coherence:
 *
 * - Every write to those rows, from any process or hand-run SQL, is announced by triggers at commit
 *   (migration 0004) and forgets it here when the notification lands; this process's own consume and
 *   plan writes forget it synchronously after commit, before they answer.
 * - This process's own ingestion instead moves the remembered counters by the deltas it committed
 *   (`beginUsageWrite`), and its own notification is ignored: under a steady stream of events the
 *   checks of the organizations it moves keep answering from memory. A counter remembered after the
 *   write began may or may not include it, so that one is forgotten instead of moved, as is a counter
 *   whose move the delta alone cannot say (latest) and every counter of a write whose outcome is unknown.
 * - A load that an invalidation of its organization overtook is answered but not remembered
 *   (sequence numbers), so an older snapshot never replaces a newer one.
 * - A billing change forgets the organization's counters too: which counter is current follows
 *   from the billing state, and a remembered counter always belongs to the remembered billing state.
 * - Whenever the subscription to notifications is down, nothing is remembered and every check
 *   reads the database, as before this cache existed.
 * - A remembered counter is used only while `now` stays in the period it was read for, so a period
 *   rollover reads again.
 *
 * Another process's write thus reaches this process's checks within the notification's delivery
 * (milliseconds). Consumes are decided in their own transaction on locked counters and stay exact.
 */
export async function createCheckStateCache(
  database: Pick<DatabaseHandle, 'listen'>,
  load: (request: CheckStateRequest) => Promise<CheckState | undefined>,
  options: CheckStateCacheOptions = {},
): Promise<CheckStateCache> {
  const maxOrganizations = options.maxOrganizations ?? 100_000;
  const billing = new Map<string, BillingState>();
  const usage = new Map<string, Map<string, RememberedUsage>>();
  // Every invalidation takes the next sequence number; a load remembers a part of its answer only if
  // that part of its organization was not invalidated (nor everything cleared) after the load began.
  let sequence = 0;
  let clearedAt = 0;
  const billingInvalidatedAt = new Map<string, number>();
  const usageInvalidatedAt = new Map<string, number>();
  let loadsInFlight = 0;

  const forgetAll = () => {
    sequence += 1;
    clearedAt = sequence;
    billing.clear();
    usage.clear();
    billingInvalidatedAt.clear();
    usageInvalidatedAt.clear();
  };
  const invalidateUsage = (organizationIds: Iterable<string>) => {
    for (const organizationId of organizationIds) {
      sequence += 1;
      usage.delete(organizationId);
      // With no load in flight there is nothing to compare against: keep the map small.
      if (loadsInFlight > 0) usageInvalidatedAt.set(organizationId, sequence);
    }
    if (usageInvalidatedAt.size > maxOrganizations) forgetAll();
  };
  const invalidateBilling = (organizationIds: Iterable<string>) => {
    for (const organizationId of organizationIds) {
      sequence += 1;
      billing.delete(organizationId);
      usage.delete(organizationId);
      if (loadsInFlight > 0) billingInvalidatedAt.set(organizationId, sequence);
    }
    if (billingInvalidatedAt.size > maxOrganizations) forgetAll();
  };
  // Random per cache, so that two Tollgate instances in one process still hear each other.
  const writer = randomUUID();
  const changes = await listenForChanges(database, CHECK_STATE_CHANGED_CHANNEL, {
    onMessage(payload) {
      const change = parseCheckStateChange(payload);
      if (change.kind === 'billing') invalidateBilling(change.organizationIds);
      else if (change.writer !== writer) invalidateUsage(change.organizationIds);
    },
    forgetAll,
  });

  const applyCommitted = (writeBegan: number, deltas: readonly CounterDelta[]) => {
    const touched = new Set<string>();
    for (const delta of deltas) {
      if (delta.projectId !== ORGANIZATION_TOTAL) continue;
      touched.add(delta.organizationId);
      const features = usage.get(delta.organizationId);
      const remembered = features?.get(delta.feature);
      if (!features || !remembered || remembered.periodStart !== delta.periodStart.getTime()) continue;
      const used =
        remembered.rememberedAt < writeBegan
          ? usageAfterDelta(delta.aggregation, remembered.state.used, delta.value)
          : undefined;
      if (used === undefined) features.delete(delta.feature);
      // Moved in place, not copied: at thousands of deltas a second, a copy per delta outlived a young
      // collection and filled the old generation. Answers remembered on the state hold only for the
      // `used` they were decided from (check-answers.ts).
      else remembered.state.used = used;
    }
    // Loads under way may have read before or after the commit: none of them is remembered.
    if (loadsInFlight > 0) {
      for (const organizationId of touched) {
        sequence += 1;
        usageInvalidatedAt.set(organizationId, sequence);
      }
    }
  };

  const remember = (request: CheckStateRequest, state: CheckState, startedAt: number) => {
    const { organizationId } = request;
    if (!changes.listening() || clearedAt > startedAt) return;
    if ((billingInvalidatedAt.get(organizationId) ?? 0) > startedAt) return;
    if (billing.size >= maxOrganizations && !billing.has(organizationId)) forgetAll();
    billing.set(organizationId, { context: state.context, trialOrganization: state.trialOrganization });
    if ((usageInvalidatedAt.get(organizationId) ?? 0) > startedAt) return;
    const period = counterPeriodAt(request.feature.reset, state.context, request.now);
    let features = usage.get(organizationId);
    if (!features) {
      features = new Map();
      usage.set(organizationId, features);
    }
    sequence += 1;
    features.set(request.feature.code, {
      state,
      periodStart: period.start.getTime(),
      periodEnd: period.end.getTime(),
      rememberedAt: sequence,
    });
  };
  const loadAndRemember = async (request: CheckStateRequest) => {
    const startedAt = sequence;
    loadsInFlight += 1;
    let state: CheckState | undefined;
    try {
      state = await load(request);
    } finally {
      loadsInFlight -= 1;
    }
    if (state) remember(request, state, startedAt);
    if (loadsInFlight === 0) {
      billingInvalidatedAt.clear();
      usageInvalidatedAt.clear();
    }
    return state;
  };

  // The same object for every check until it is invalidated (check-feature.ts remembers answers on it).
  const peek = (request: CheckStateRequest): CheckState | undefined => {
    if (!changes.listening()) return undefined;
    const counter = usage.get(request.organizationId)?.get(request.feature.code);
    const instant = request.now.getTime();
    return counter && instant >= counter.periodStart && instant < counter.periodEnd
      ? counter.state
      : undefined;
  };

  return {
    async get(request) {
      return peek(request) ?? loadAndRemember(request);
    },
    peek,
    rememberedBilling(organizationId) {
      return changes.listening() ? billing.get(organizationId) : undefined;
    },
    async getBilling(request) {
      const remembered = changes.listening() ? billing.get(request.organizationId) : undefined;
      return remembered ?? loadAndRemember(request);
    },
    invalidateUsage,
    invalidateBilling,
    forgetAll,
    beginUsageWrite() {
      sequence += 1;
      const writeBegan = sequence;
      return {
        writer,
        committed: (deltas) => applyCommitted(writeBegan, deltas),
        uncertain: invalidateUsage,
      };
    },
    close: changes.stop,
  };
}
