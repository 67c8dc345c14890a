import {
  accumulateEvent,
  type BillingContext,
  type Catalog,
  counterPeriodAt,
  type Decimal,
  emptyAccumulator,
  isWithin,
  type MeterAccumulator,
  marksCrossed,
  type Period,
  type ThresholdMarks,
  thresholdMarks,
  toDecimal,
  uniquePropertyOf,
  uniqueValueText,
} from '@tollgate/core';
import type { AlertCrossing } from '../tables/usage-alerts.js';
import {
  type CounterAfter,
  type CounterDelta,
  type CounterKey,
  counterKey,
  ORGANIZATION_TOTAL,
} from '../tables/usage-counters.js';
import { bucketOf, type UniqueBucket } from '../tables/usage-unique-buckets.js';
import type { UniqueValue } from '../tables/usage-unique-values.js';
import { uniqueBucketKey } from './stored-unique-keys.js';
import type { ValidEvent } from './validate-events.js';

export type MeteredEvent = ValidEvent & { feature: string; periodStart: Date; periodEnd: Date };

/** Places each feature event in its counter period (the billing period containing its timestamp). */
export function assignPeriods(events: ValidEvent[], catalog: Catalog, contexts: Map<string, BillingContext>) {
  const metered: MeteredEvent[] = [];
  // Most events of a batch share their organization's current period: compute it once per
  // organization and reset interval (nested maps: no key string to build per event).
  const lastPeriods = new Map<string, Map<string, Period>>();
  for (const event of events) {
    const context = contexts.get(event.organizationId);
    const feature = event.feature === null ? undefined : catalog.feature(event.feature);
    if (!context || !feature || event.feature === null) continue;
    let byReset = lastPeriods.get(event.organizationId);
    if (!byReset) {
      byReset = new Map();
      lastPeriods.set(event.organizationId, byReset);
    }
    let period = byReset.get(feature.reset);
    if (!period || !isWithin(period, event.timestamp)) {
      period = counterPeriodAt(feature.reset, context, event.timestamp);
      byReset.set(feature.reset, period);
    }
    const meteredEvent = event as MeteredEvent;
    meteredEvent.periodStart = period.start;
    meteredEvent.periodEnd = period.end;
    metered.push(meteredEvent);
  }
  return metered;
}

/** The organization total and, when the event names a project, the project's counter. */
function keysOf(event: MeteredEvent) {
  const base = {
    organizationId: event.organizationId,
    feature: event.feature,
    periodStart: event.periodStart,
  };
  const keys = [{ ...base, projectId: ORGANIZATION_TOTAL }];
  if (event.projectId !== null) keys.push({ ...base, projectId: event.projectId });
  return keys;
}

/** The value a unique_count feature counts in this event (its unique_property), if it is one and has it. */
export function countedValueOf(catalog: Catalog, event: MeteredEvent): string | undefined {
  const property = uniquePropertyOf(catalog, event.feature);
  return property === undefined ? undefined : uniqueValueText(event.properties?.[property]);
}

/** The distinct values unique_count features must record before their counters can move. */
export function uniqueValuesOf(events: MeteredEvent[], catalog: Catalog): UniqueValue[] {
  const values: UniqueValue[] = [];
  for (const event of events) {
    const value = countedValueOf(catalog, event);
    if (value === undefined) continue;
    for (const key of keysOf(event)) values.push({ ...key, value });
  }
  return values;
}

type FoldingDelta = CounterDelta & { state: MeterAccumulator };

/**
 * Deltas by organization, then project, then a short list (features × periods): looking a counter
 * up costs two map reads of strings the event already holds, no key built per event.
 */
class DeltaIndex {
  private readonly byOrganization = new Map<string, Map<string, FoldingDelta[]>>();
  readonly all: FoldingDelta[] = [];

  list(organizationId: string, projectId: string): FoldingDelta[] {
    let byProject = this.byOrganization.get(organizationId);
    if (!byProject) {
      byProject = new Map();
      this.byOrganization.set(organizationId, byProject);
    }
    let deltas = byProject.get(projectId);
    if (!deltas) {
      deltas = [];
      byProject.set(projectId, deltas);
    }
    return deltas;
  }

  find(key: CounterKey): FoldingDelta | undefined {
    const deltas = this.byOrganization.get(key.organizationId)?.get(key.projectId) ?? [];
    return findDelta(deltas, key.feature, key.periodStart.getTime());
  }
}

function findDelta(deltas: FoldingDelta[], feature: string, periodStart: number): FoldingDelta | undefined {
  for (const delta of deltas) {
    if (delta.feature === feature && delta.periodStart.getTime() === periodStart) return delta;
  }
  return undefined;
}

/**
 * Folds newly stored events into one delta per counter. unique_count counters move by the number
 * of values the database had not seen (`newUniqueValues`), not by events.
 */
export function foldDeltas(
  events: MeteredEvent[],
  catalog: Catalog,
  newUniqueValues: UniqueValue[],
): CounterDelta[] {
  const index = new DeltaIndex();
  const fold = (event: MeteredEvent, projectId: string) => {
    const deltas = index.list(event.organizationId, projectId);
    let delta = findDelta(deltas, event.feature, event.periodStart.getTime());
    if (!delta) {
      const aggregation = catalog.feature(event.feature)?.aggregation ?? 'sum';
      const state = emptyAccumulator(aggregation);
      delta = {
        organizationId: event.organizationId,
        feature: event.feature,
        periodStart: event.periodStart,
        projectId,
        periodEnd: event.periodEnd,
        aggregation,
        value: state.value,
        lastEventAt: null,
        state,
      };
      deltas.push(delta);
      index.all.push(delta);
    }
    if (delta.aggregation === 'unique_count') {
      // Moved below by the values the database had not seen; here only the newest timestamp.
      if (delta.lastEventAt === null || event.timestamp > delta.lastEventAt)
        delta.lastEventAt = event.timestamp;
      return;
    }
    accumulateEvent(delta.aggregation, delta.state, event);
    delta.value = delta.state.value;
    delta.lastEventAt = delta.state.lastEventAt;
  };
  for (const event of events) {
    fold(event, ORGANIZATION_TOTAL);
    if (event.projectId !== null) fold(event, event.projectId);
  }
  for (const value of newUniqueValues) {
    const delta = index.find(value);
    if (delta) delta.value = delta.value.plus(1);
  }
  return index.all.map(({ state: _state, ...delta }) => delta);
}

const ADDITIVE = new Set(['sum', 'count', 'unique_count']);

/** Thresholds the organization totals crossed with this batch, against each organization's plan. */
export function alertCrossings(
  deltas: CounterDelta[],
  after: CounterAfter[],
  catalog: Catalog,
  contexts: Map<string, BillingContext>,
): AlertCrossing[] {
  const thresholds = catalog.definition.metering.alert_thresholds;
  // A batch moves many counters of few plans and features: each grant's marks are computed once.
  const marksByGrant = new Map<object, { limit: Decimal; marks: ThresholdMarks }>();
  const limitMarksOf = (planCode: string, feature: string) => {
    const grant = catalog.planFeature(planCode, feature);
    if (typeof grant !== 'object' || grant.included === 'unlimited') return undefined;
    let entry = marksByGrant.get(grant);
    if (entry === undefined) {
      const limit = toDecimal(grant.included);
      entry = { limit, marks: thresholdMarks(thresholds, limit) };
      marksByGrant.set(grant, entry);
    }
    return entry;
  };
  let deltaByKey: Map<string, CounterDelta> | undefined;
  const crossings: AlertCrossing[] = [];
  for (const counter of after) {
    if (counter.projectId !== ORGANIZATION_TOTAL) continue;
    const context = contexts.get(counter.organizationId);
    if (!context) continue;
    const limitMarks = limitMarksOf(context.planCode, counter.feature);
    const lowest = limitMarks?.marks[0];
    // Below the first mark nothing was crossed, whatever the delta: most counters stop here.
    if (!limitMarks || !lowest || counter.used.lt(lowest.mark)) continue;
    deltaByKey ??= new Map(
      deltas
        .filter((delta) => delta.projectId === ORGANIZATION_TOTAL)
        .map((delta) => [counterKey(delta), delta]),
    );
    const delta = deltaByKey.get(counterKey(counter));
    if (!delta) continue;
    // Gauges can go down, so their value before is unknown here: every reached threshold is
    // offered and the alert's primary key keeps the ones that already fired from firing again.
    const before = ADDITIVE.has(delta.aggregation) ? counter.used.minus(delta.value) : 0;
    for (const threshold of marksCrossed(limitMarks.marks, before, counter.used)) {
      crossings.push({ ...counter, periodEnd: delta.periodEnd, threshold, limit: limitMarks.limit });
    }
  }
  return crossings;
}

/** The hours and days of the values that newly stored events of unique_count features count, each once. */
export function uniqueBucketsOf(events: readonly MeteredEvent[], catalog: Catalog): UniqueBucket[] {
  const buckets = new Map<string, UniqueBucket>();
  for (const event of events) {
    const value = countedValueOf(catalog, event);
    if (value === undefined) continue;
    for (const granularity of ['hour', 'day'] as const) {
      const bucket: UniqueBucket = {
        organizationId: event.organizationId,
        feature: event.feature,
        granularity,
        bucket: bucketOf(granularity, event.timestamp),
        value,
      };
      const key = uniqueBucketKey(bucket);
      if (!buckets.has(key)) buckets.set(key, bucket);
    }
  }
  return [...buckets.values()];
}
