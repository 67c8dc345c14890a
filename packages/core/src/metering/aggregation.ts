import type { Aggregation } from '../catalog/schema.js';
import { Decimal, type DecimalInput, toDecimal } from '../decimal.js';

/**
 * Whether a check may consume a feature of this aggregation. A consume reports one use of `quantity`;
 * a distinct value (unique_count) has no quantity to consume, so such features are metered by events.
 */
export function isConsumable(aggregation: Aggregation): aggregation is Exclude<Aggregation, 'unique_count'> {
  return aggregation !== 'unique_count';
}

/**
 * The usage one more use of `quantity` leaves, by the feature's aggregation, as ingesting the event
 * a consume stores would: sum adds the quantity, count adds one event, max keeps the larger, latest
 * becomes it.
 */
export function usageAfterUse(
  aggregation: Exclude<Aggregation, 'unique_count'> | undefined,
  used: Decimal,
  quantity: Decimal,
): Decimal {
  if (aggregation === 'latest') return quantity;
  if (aggregation === 'max') return Decimal.max(used, quantity);
  if (aggregation === 'count') return used.plus(1);
  return used.plus(quantity);
}

/**
 * The usage a counter holds after another transaction merged `delta` into it, when that follows from
 * the usage before and the delta alone, in whatever order such deltas commit: sum, count and
 * unique_count add (their deltas are already counted), max keeps the larger. A latest counter takes
 * the value of the newest event, which the delta alone cannot say, so it is undefined.
 */
export function usageAfterDelta(
  aggregation: Aggregation,
  used: Decimal,
  delta: Decimal,
): Decimal | undefined {
  if (aggregation === 'latest') return undefined;
  if (aggregation === 'max') return Decimal.max(used, delta);
  return used.plus(delta);
}

/** One usage event as far as a meter cares. */
export interface MeteredEvent {
  quantity: DecimalInput;
  timestamp: Date;
  /** For unique_count: the value of the feature's unique_property. Events without one are not counted. */
  uniqueValue?: string | undefined;
}

/** A meter's running state. `seen` is only filled for unique_count. */
export interface MeterState {
  value: Decimal;
  /** Timestamp of the newest event folded in; `latest` keeps the value of that event. */
  lastEventAt: Date | null;
  seen: ReadonlySet<string>;
}

export function emptyMeterState(): MeterState {
  return { value: new Decimal(0), lastEventAt: null, seen: new Set() };
}

function newer(a: Date | null, b: Date | null): Date | null {
  if (a === null) return b;
  if (b === null) return a;
  return a >= b ? a : b;
}

/** Folds one event into a meter: sum adds quantities, count counts events, max keeps the largest,
 * unique_count counts distinct values, latest keeps the quantity of the newest event (ties: the later arrival). */
export function applyEvent(aggregation: Aggregation, state: MeterState, event: MeteredEvent): MeterState {
  const quantity = toDecimal(event.quantity);
  const lastEventAt = newer(state.lastEventAt, event.timestamp);
  switch (aggregation) {
    case 'sum':
      return { ...state, value: state.value.plus(quantity), lastEventAt };
    case 'count':
      return { ...state, value: state.value.plus(1), lastEventAt };
    case 'max':
      return { ...state, value: Decimal.max(state.value, quantity), lastEventAt };
    case 'latest': {
      const isNewest = state.lastEventAt === null || event.timestamp >= state.lastEventAt;
      return { ...state, value: isNewest ? quantity : state.value, lastEventAt };
    }
    case 'unique_count': {
      if (event.uniqueValue === undefined || state.seen.has(event.uniqueValue))
        return { ...state, lastEventAt };
      const seen = new Set(state.seen).add(event.uniqueValue);
      return { value: new Decimal(seen.size), lastEventAt, seen };
    }
  }
}

export function foldEvents(
  aggregation: Aggregation,
  events: Iterable<MeteredEvent>,
  initial: MeterState = emptyMeterState(),
): MeterState {
  let state = initial;
  for (const event of events) state = applyEvent(aggregation, state, event);
  return state;
}

/**
 * Combines two meters folded over disjoint sets of events, so a batch can be folded once and
 * merged into the stored counter: merge(fold(a), fold(b)) equals fold(a then b).
 */
export function mergeMeterStates(
  aggregation: Aggregation,
  stored: MeterState,
  delta: MeterState,
): MeterState {
  const lastEventAt = newer(stored.lastEventAt, delta.lastEventAt);
  switch (aggregation) {
    case 'sum':
    case 'count':
      return { ...stored, value: stored.value.plus(delta.value), lastEventAt };
    case 'max':
      return { ...stored, value: Decimal.max(stored.value, delta.value), lastEventAt };
    case 'latest': {
      if (delta.lastEventAt === null) return stored;
      const deltaIsNewest = stored.lastEventAt === null || delta.lastEventAt >= stored.lastEventAt;
      return { ...stored, value: deltaIsNewest ? delta.value : stored.value, lastEventAt };
    }
    case 'unique_count': {
      const seen = new Set([...stored.seen, ...delta.seen]);
      return { value: new Decimal(seen.size), lastEventAt, seen };
    }
  }
}

/** A meter folded in place. */
export type MeterAccumulator = { value: Decimal; lastEventAt: Date | null; seen: Set<string> };

const ZERO = new Decimal(0);
/** Only unique_count writes to `seen`: every other accumulator shares this empty set. */
const NO_VALUES: Set<string> = new Set();

/** An accumulator before any event, allocating only what `aggregation` will write to. */
export function emptyAccumulator(aggregation: Aggregation): MeterAccumulator {
  return { value: ZERO, lastEventAt: null, seen: aggregation === 'unique_count' ? new Set() : NO_VALUES };
}

/**
 * `applyEvent` in place, for folding large batches without allocating a state per event. Same rules;
 * a test keeps the two equal.
 */
export function accumulateEvent(
  aggregation: Aggregation,
  state: MeterAccumulator,
  event: MeteredEvent,
): void {
  const isNewest = state.lastEventAt === null || event.timestamp >= state.lastEventAt;
  switch (aggregation) {
    case 'sum':
      state.value = state.value.plus(event.quantity);
      break;
    case 'count':
      state.value = state.value.plus(1);
      break;
    case 'max': {
      const quantity = toDecimal(event.quantity);
      if (quantity.gt(state.value)) state.value = quantity;
      break;
    }
    case 'latest':
      if (isNewest) state.value = toDecimal(event.quantity);
      break;
    case 'unique_count':
      if (event.uniqueValue !== undefined && !state.seen.has(event.uniqueValue)) {
        state.seen.add(event.uniqueValue);
        state.value = new Decimal(state.seen.size);
      }
      break;
  }
  if (isNewest) state.lastEventAt = event.timestamp;
}
