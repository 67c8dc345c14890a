import type { Aggregation } from '../catalog/schema.js';
import type { Decimal } from '../decimal.js';
import { accumulateEvent, emptyAccumulator, type MeterAccumulator } from './aggregation.js';

export const HOUR_MS = 3_600_000;

/** The start of the UTC hour holding `instant`. */
export const hourOf = (instant: Date) => new Date(Math.floor(instant.getTime() / HOUR_MS) * HOUR_MS);

/** A stored usage event as far as the hourly rollup cares. */
export type RollupEvent = {
  organizationId: string;
  feature: string;
  quantity: Decimal;
  timestamp: Date;
};

/** One organization × feature × hour folded from new events, to merge into the stored row. */
export type HourlyRollup = {
  organizationId: string;
  feature: string;
  hour: Date;
  aggregation: Aggregation;
  /** Added for sum and count; the candidate for max; the newest event's quantity for latest. */
  value: Decimal;
  lastEventAt: Date;
};

/** Aggregations whose hours combine exactly into days and periods; distinct values do not. */
export const rollsUp = (aggregation: Aggregation): aggregation is Exclude<Aggregation, 'unique_count'> =>
  aggregation !== 'unique_count';

/**
 * Folds newly stored events into one rollup per organization × feature × UTC hour, with the same
 * rules as the counters (`accumulateEvent`). unique_count features and features the catalog does
 * not know are left out. The answer is in key order (organization, feature, hour) so concurrent
 * transactions lock rollup rows in the same order.
 */
export function foldHourlyRollups(
  events: Iterable<RollupEvent>,
  aggregationOf: (feature: string) => Aggregation | undefined,
): HourlyRollup[] {
  // Nested maps: a lookup per event reads strings and a number the event already holds.
  const byOrganization = new Map<string, Map<string, Map<number, MeterAccumulator>>>();
  const aggregations = new Map<string, Aggregation | undefined>();
  for (const event of events) {
    let aggregation = aggregations.get(event.feature);
    if (!aggregations.has(event.feature)) {
      aggregation = aggregationOf(event.feature);
      aggregations.set(event.feature, aggregation);
    }
    if (aggregation === undefined || !rollsUp(aggregation)) continue;
    let byFeature = byOrganization.get(event.organizationId);
    if (!byFeature) {
      byFeature = new Map();
      byOrganization.set(event.organizationId, byFeature);
    }
    let byHour = byFeature.get(event.feature);
    if (!byHour) {
      byHour = new Map();
      byFeature.set(event.feature, byHour);
    }
    const hour = Math.floor(event.timestamp.getTime() / HOUR_MS) * HOUR_MS;
    let state = byHour.get(hour);
    if (!state) {
      state = emptyAccumulator(aggregation);
      byHour.set(hour, state);
    }
    accumulateEvent(aggregation, state, event);
  }
  const rollups: HourlyRollup[] = [];
  for (const organizationId of [...byOrganization.keys()].sort()) {
    const byFeature = byOrganization.get(organizationId) as Map<string, Map<number, MeterAccumulator>>;
    for (const feature of [...byFeature.keys()].sort()) {
      const byHour = byFeature.get(feature) as Map<number, MeterAccumulator>;
      const aggregation = aggregations.get(feature) as Aggregation;
      for (const hour of [...byHour.keys()].sort((a, b) => a - b)) {
        const state = byHour.get(hour) as MeterAccumulator;
        rollups.push({
          organizationId,
          feature,
          hour: new Date(hour),
          aggregation,
          value: state.value,
          lastEventAt: state.lastEventAt as Date,
        });
      }
    }
  }
  return rollups;
}
