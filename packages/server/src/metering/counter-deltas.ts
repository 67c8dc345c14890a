import {
  applyEvent,
  type BillingContext,
  type Catalog,
  counterPeriodAt,
  crossedThresholds,
  emptyMeterState,
  type MeterState,
  toDecimal,
} from '@tollgate/core';
import {
  type CounterAfter,
  type CounterDelta,
  counterKey,
  ORGANIZATION_TOTAL,
  type UniqueValue,
} from './counters.js';
import type { AlertCrossing } from './record-alerts.js';
import type { ValidEvent } from './validate-events.js';

export type MeteredEvent = ValidEvent & { feature: string; periodStart: Date; periodEnd: Date };

/** Places each feature event in its counter period (the billing period containing its timestamp). */
export function assignPeriods(events: ValidEvent[], catalog: Catalog, contexts: Map<string, BillingContext>) {
  const metered: MeteredEvent[] = [];
  for (const event of events) {
    const context = contexts.get(event.organizationId);
    const feature = event.feature === null ? undefined : catalog.feature(event.feature);
    if (!context || !feature || event.feature === null) continue;
    const period = counterPeriodAt(feature.reset, context, event.timestamp);
    metered.push({ ...event, feature: event.feature, periodStart: period.start, periodEnd: period.end });
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

/** The distinct values unique_count features must record before their counters can move. */
export function uniqueValuesOf(events: MeteredEvent[], catalog: Catalog): UniqueValue[] {
  const values: UniqueValue[] = [];
  for (const event of events) {
    const feature = catalog.feature(event.feature);
    if (feature?.aggregation !== 'unique_count' || !feature.unique_property) continue;
    const value = event.properties?.[feature.unique_property];
    if (value === undefined || value === null) continue;
    for (const key of keysOf(event)) values.push({ ...key, value: String(value) });
  }
  return values;
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
  const deltas = new Map<string, CounterDelta & { state: MeterState }>();
  const deltaFor = (key: ReturnType<typeof keysOf>[number], event: MeteredEvent) => {
    const id = counterKey(key);
    let delta = deltas.get(id);
    if (!delta) {
      const aggregation = catalog.feature(key.feature)?.aggregation ?? 'sum';
      delta = {
        ...key,
        periodEnd: event.periodEnd,
        aggregation,
        value: toDecimal(0),
        lastEventAt: null,
        state: emptyMeterState(),
      };
      deltas.set(id, delta);
    }
    return delta;
  };
  for (const event of events) {
    for (const key of keysOf(event)) {
      const delta = deltaFor(key, event);
      if (delta.aggregation === 'unique_count') {
        delta.lastEventAt =
          delta.lastEventAt && delta.lastEventAt > event.timestamp ? delta.lastEventAt : event.timestamp;
        continue;
      }
      delta.state = applyEvent(delta.aggregation, delta.state, event);
      delta.value = delta.state.value;
      delta.lastEventAt = delta.state.lastEventAt;
    }
  }
  for (const value of newUniqueValues) {
    const delta = deltas.get(counterKey(value));
    if (delta) delta.value = delta.value.plus(1);
  }
  return [...deltas.values()].map(({ state: _state, ...delta }) => delta);
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
  const deltaByKey = new Map(deltas.map((delta) => [counterKey(delta), delta]));
  const crossings: AlertCrossing[] = [];
  for (const counter of after) {
    if (counter.projectId !== ORGANIZATION_TOTAL) continue;
    const delta = deltaByKey.get(counterKey(counter));
    const context = contexts.get(counter.organizationId);
    if (!delta || !context) continue;
    const planFeature = catalog.planFeature(context.planCode, counter.feature);
    if (typeof planFeature !== 'object' || planFeature.included === 'unlimited') continue;
    const limit = toDecimal(planFeature.included);
    // Gauges can go down, so their value before is unknown here: every reached threshold is
    // offered and the alert's primary key keeps the ones that already fired from firing again.
    const before = ADDITIVE.has(delta.aggregation) ? counter.used.minus(delta.value) : 0;
    for (const threshold of crossedThresholds(thresholds, limit, before, counter.used)) {
      crossings.push({ ...counter, periodEnd: delta.periodEnd, threshold, limit });
    }
  }
  return crossings;
}
