import type { Aggregation } from '../catalog/schema.js';
import type { Decimal } from '../decimal.js';
import { toDecimal } from '../decimal.js';
import { accumulateEvent, type MeterAccumulator } from './aggregation.js';

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
  // One map entry per organization × feature × hour, folded in place: a batch usually holds few
  // events of each, so per-organization maps would cost more than the entries themselves.
  const folding = new Map<string, FoldingRollup>();
  const aggregations = new Map<string, Aggregation | undefined>();
  for (const event of events) {
    let aggregation = aggregations.get(event.feature);
    if (!aggregations.has(event.feature)) {
      aggregation = aggregationOf(event.feature);
      aggregations.set(event.feature, aggregation);
    }
    if (aggregation === undefined || !rollsUp(aggregation)) continue;
    const hour = Math.floor(event.timestamp.getTime() / HOUR_MS) * HOUR_MS;
    const key = `${event.organizationId}\u0000${event.feature}\u0000${hour}`;
    let rollup = folding.get(key);
    if (!rollup) {
      rollup = {
        organizationId: event.organizationId,
        feature: event.feature,
        hourMs: hour,
        aggregation,
        state: { value: ZERO, lastEventAt: null, seen: NO_VALUES },
      };
      folding.set(key, rollup);
    }
    accumulateEvent(aggregation, rollup.state, event);
  }
  return [...folding.values()].sort(byKey).map((rollup) => ({
    organizationId: rollup.organizationId,
    feature: rollup.feature,
    hour: new Date(rollup.hourMs),
    aggregation: rollup.aggregation,
    value: rollup.state.value,
    lastEventAt: rollup.state.lastEventAt as Date,
  }));
}

type FoldingRollup = {
  organizationId: string;
  feature: string;
  hourMs: number;
  aggregation: Exclude<Aggregation, 'unique_count'>;
  state: MeterAccumulator;
};

const ZERO = toDecimal(0);
/** Rolled-up aggregations never record distinct values (`rollsUp`): one empty set serves them all. */
const NO_VALUES: Set<string> = new Set();

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byKey = (a: FoldingRollup, b: FoldingRollup) =>
  compareText(a.organizationId, b.organizationId) || compareText(a.feature, b.feature) || a.hourMs - b.hourMs;
