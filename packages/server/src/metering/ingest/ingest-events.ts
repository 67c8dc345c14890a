import {
  type BillingContext,
  type Catalog,
  DEFAULT_EVENT_WINDOW,
  type EventWindow,
  foldHourlyRollups,
  toDecimal,
} from '@tollgate/core';
import { retryTransaction } from '../../db/retry.js';
import { type DbOrTx, isTransaction, withTransaction } from '../../db/transaction.js';
import { loadBillingContexts } from '../billing-contexts.js';
import type { UsageWrite } from '../check/check-state-cache.js';
import { recordAlerts } from '../tables/usage-alerts.js';
import { type CounterDelta, upsertCounters } from '../tables/usage-counters.js';
import { eventKey, insertNewEvents } from '../tables/usage-events.js';
import { rollupUpsertStatement } from '../tables/usage-rollups.js';
import { uniqueBucketsInsertStatement } from '../tables/usage-unique-buckets.js';
import { insertUniqueValues } from '../tables/usage-unique-values.js';
import {
  alertCrossings,
  assignPeriods,
  foldDeltas,
  uniqueBucketsOf,
  uniqueValuesOf,
} from './counter-deltas.js';
import type { CreditShortfall, DebitCreditsForEvent } from './credit-events.js';
import { type StoredUniqueKeys, uniqueBucketKey, uniqueValueKey, unknownRows } from './stored-unique-keys.js';
import { isRejection, type Rejection, type ValidEvent, validateEvent } from './validate-events.js';

export type IngestOptions = {
  catalog: Catalog;
  now: Date;
  window?: EventWindow;
  debitCreditsForEvent?: DebitCreditsForEvent | undefined;
  /** unique_count rows known to be stored, not sent again (stored-unique-keys.ts); none when omitted. */
  storedUniqueKeys?: StoredUniqueKeys | undefined;
};

/** A stored credit event its organization's wallet could not pay (nothing was debited for it). */
export type ReportedShortfall = { index: number; event: string; credits: string; balance: string };

export type IngestResult = {
  accepted: number;
  duplicates: number;
  rejected: Rejection[];
  /** Present when some credit event could not be paid. */
  credit_shortfalls?: ReportedShortfall[];
};

/** A request's events after validation, before anything is read or written. */
export type PreparedBatch = { now: Date; rejected: Rejection[]; candidates: ValidEvent[] };

export type StoreOptions = Pick<IngestOptions, 'catalog' | 'debitCreditsForEvent' | 'storedUniqueKeys'> & {
  /** Told what each transaction committed to the counters (check-state-cache.ts); none when omitted. */
  usageWrite?: UsageWrite | undefined;
  /**
   * The billing states this process's checks remember (check-state-cache.ts): an organization's is
   * used instead of reading it again; undefined when not remembered.
   */
  billingStates?: BillingStates | undefined;
};

export type BillingStates = {
  rememberedBilling(organizationId: string): { context: BillingContext } | undefined;
  /** Reads through `load` and remembers what it read (billing-memory.ts); without it, nothing read is kept. */
  loadAndRemember?(load: () => Promise<Map<string, BillingContext>>): Promise<Map<string, BillingContext>>;
};

/** Setup without I/O: validates each event against its schema, the catalog and the time window. */
export function prepareBatch(rawEvents: unknown[], options: IngestOptions): PreparedBatch {
  const { catalog, now } = options;
  const window = options.window ?? DEFAULT_EVENT_WINDOW;
  const rejected: Rejection[] = [];
  const candidates: ValidEvent[] = [];
  for (const [index, raw] of rawEvents.entries()) {
    const result = validateEvent(raw, index, catalog, now, window);
    if (isRejection(result)) rejected.push(result);
    else if (result.feature === null && !options.debitCreditsForEvent) {
      rejected.push({
        index,
        code: 'credits_not_enabled',
        message: `credit event "${result.event}" needs the credit ledger, which is not enabled`,
      });
    } else candidates.push(result);
  }
  return { now, rejected, candidates };
}

/**
 * Stores prepared batches in one transaction, with one read of the organizations' billing
 * contexts, one event INSERT and one counter upsert for all of them; answers per batch, as if
 * the batches had been stored one after the other in the order given. The transaction's time is
 * the latest batch's `now`.
 */
export async function storeBatches(
  db: DbOrTx,
  batches: PreparedBatch[],
  options: StoreOptions,
): Promise<IngestResult[]> {
  const { catalog } = options;
  const now = new Date(Math.max(...batches.map((batch) => batch.now.getTime())));
  const organizationIds = new Set<string>();
  for (const batch of batches)
    for (const event of batch.candidates) organizationIds.add(event.organizationId);
  // In a caller's transaction, what this process remembers may not hold: that transaction may have
  // changed it.
  const remembered = isTransaction(db) ? undefined : options.billingStates;
  const contexts = await billingContextsOf(db, organizationIds, catalog, remembered);
  // An id repeated within the batches is the same event sent twice: the first sighting stands.
  const seen = new Set<string>();
  const outcomes = batches.map((batch) => {
    const rejected = [...batch.rejected];
    const valid: ValidEvent[] = [];
    let duplicates = 0;
    for (const event of batch.candidates) {
      if (!contexts.has(event.organizationId)) {
        rejected.push({
          index: event.index,
          code: 'organization_not_found',
          message: `organization "${event.organizationId}" not found`,
        });
        continue;
      }
      const key = eventKey(event.organizationId, event.id);
      if (seen.has(key)) duplicates += 1;
      else {
        seen.add(key);
        valid.push(event);
      }
    }
    rejected.sort((a, b) => a.index - b.index);
    return { rejected, valid, duplicates, accepted: 0, shortfalls: [] as ReportedShortfall[] };
  });
  const valid = outcomes.flatMap((outcome) => outcome.valid);
  if (valid.length > 0) {
    // Keys remembered, and counter deltas reported, only once this function's own transaction has committed.
    const ownTransaction = !isTransaction(db);
    const known = ownTransaction ? options.storedUniqueKeys : undefined;
    const usageWrite = ownTransaction ? options.usageWrite : undefined;
    let storedKeys: string[] = [];
    let unpaid: readonly CreditShortfall[] = [];
    let committedDeltas: CounterDelta[] = [];
    // Execute: store, then count only what was new.
    // A transaction that failed may have committed all the same (an error at COMMIT; retried errors
    // are rollbacks): its organizations are read again rather than moved in memory.
    const fresh = await retryTransaction(() =>
      withTransaction(db, async (tx) => {
        const fresh = await insertEvents(tx, valid, now);
        const metered = assignPeriods(fresh, catalog, contexts);
        // A value already stored for its counter is not new to it, so leaving it out counts the same.
        const values = unknownRows(uniqueValuesOf(metered, catalog), uniqueValueKey, known);
        // Each distinct value also in its UTC hour and day, for history reads (unique-buckets.ts).
        const buckets = unknownRows(uniqueBucketsOf(metered, catalog), uniqueBucketKey, known);
        storedKeys = values.keys.concat(buckets.keys);
        const newUniqueValues = await insertUniqueValues(
          tx,
          values.rows,
          buckets.rows.length > 0 ? uniqueBucketsInsertStatement(buckets.rows) : undefined,
        );
        const deltas = foldDeltas(metered, catalog, newUniqueValues);
        // The hourly rollups ride with the counter upsert and are written after it, as in consumes:
        // a transaction holds its counters before any rollup row.
        const rollups = foldHourlyRollups(metered, (feature) => catalog.feature(feature)?.aggregation);
        committedDeltas = deltas;
        const after = await upsertCounters(tx, deltas, now, {
          thenWrite: rollups.length > 0 ? rollupUpsertStatement(rollups) : undefined,
          writer: usageWrite?.writer,
        });
        await recordAlerts(tx, alertCrossings(deltas, after, catalog, contexts), now);
        const creditEvents = fresh.filter((event) => event.feature === null);
        if (creditEvents.length > 0 && options.debitCreditsForEvent) {
          unpaid = await options.debitCreditsForEvent(
            tx,
            creditEvents.map((event) => ({
              organizationId: event.organizationId,
              eventId: event.id,
              event: event.event,
              quantity: event.quantity,
              credits: event.quantity.times(toDecimal(catalog.creditEvent(event.event)?.credits ?? 0)),
              projectId: event.projectId,
              userId: event.userId,
              timestamp: event.timestamp,
            })),
            now,
          );
        }
        return fresh;
      }),
    ).catch((error: unknown) => {
      usageWrite?.uncertain(organizationIds);
      throw error;
    });
    known?.rememberAll(storedKeys);
    usageWrite?.committed(committedDeltas);
    reportShortfalls(outcomes, unpaid);
    if (fresh.length === valid.length)
      for (const outcome of outcomes) outcome.accepted = outcome.valid.length;
    else {
      const stored = new Set(fresh);
      for (const outcome of outcomes)
        outcome.accepted = outcome.valid.filter((event) => stored.has(event)).length;
    }
  }
  return outcomes.map(({ rejected, valid, duplicates, accepted, shortfalls }) => ({
    accepted,
    duplicates: duplicates + valid.length - accepted,
    rejected,
    ...(shortfalls.length > 0 && { credit_shortfalls: shortfalls }),
  }));
}

/**
 * The billing contexts of the organizations that exist among `organizationIds`: as remembered where
 * they are, read in one query for the rest. A remembered state follows changes made elsewhere within
 * the notification's delivery, as checks do; the read it replaces ran before the transaction, so it
 * could miss a change committed meanwhile just the same.
 */
async function billingContextsOf(
  db: DbOrTx,
  organizationIds: ReadonlySet<string>,
  catalog: Catalog,
  remembered: BillingStates | undefined,
): Promise<Map<string, BillingContext>> {
  const contexts = new Map<string, BillingContext>();
  const missing: string[] = [];
  for (const organizationId of organizationIds) {
    const context = remembered?.rememberedBilling(organizationId)?.context;
    if (context) contexts.set(organizationId, context);
    else missing.push(organizationId);
  }
  if (missing.length === 0) return contexts;
  const load = () => loadBillingContexts(db, missing, catalog);
  const loaded = await (remembered?.loadAndRemember ? remembered.loadAndRemember(load) : load());
  if (contexts.size === 0) return loaded;
  for (const [organizationId, context] of loaded) contexts.set(organizationId, context);
  return contexts;
}

/** Puts each unpaid credit event on the answer of the batch that sent it, by its index there. */
function reportShortfalls(
  outcomes: ReadonlyArray<{ valid: ValidEvent[]; shortfalls: ReportedShortfall[] }>,
  unpaid: readonly CreditShortfall[],
): void {
  if (unpaid.length === 0) return;
  const byKey = new Map(
    unpaid.map((shortfall) => [eventKey(shortfall.organizationId, shortfall.eventId), shortfall]),
  );
  for (const outcome of outcomes) {
    for (const event of outcome.valid) {
      const shortfall = byKey.get(eventKey(event.organizationId, event.id));
      if (shortfall === undefined) continue;
      outcome.shortfalls.push({
        index: event.index,
        event: event.event,
        credits: shortfall.credits,
        balance: shortfall.balance,
      });
    }
  }
}

/** Stores the events in one INSERT; returns those that were new. */
async function insertEvents(tx: DbOrTx, events: ValidEvent[], now: Date): Promise<ValidEvent[]> {
  const inserted = await insertNewEvents(
    tx,
    events.map((event) => ({
      organization_id: event.organizationId,
      id: event.id,
      event: event.event,
      feature: event.feature === event.event ? undefined : (event.feature ?? ''),
      project_id: event.projectId ?? undefined,
      user_id: event.userId ?? undefined,
      quantity: event.quantity.toFixed(),
      timestamp: event.timestamp === now ? undefined : event.timestamp.toISOString(),
      properties: event.properties ?? undefined,
    })),
    now,
  );
  if (inserted === 'all') return events;
  return events.filter((event) => inserted.has(eventKey(event.organizationId, event.id)));
}
