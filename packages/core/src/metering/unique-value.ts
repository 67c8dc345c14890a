import type { Catalog } from '../catalog/catalog.js';
import { Decimal } from '../decimal.js';

/** The property whose distinct values `feature` counts, when it is a unique_count feature. */
export function uniquePropertyOf(catalog: Catalog, feature: string): string | undefined {
  const definition = catalog.feature(feature);
  return definition?.aggregation === 'unique_count' ? definition.unique_property : undefined;
}

/**
 * Whether a unique_count feature can count this property value: a string, a finite number or a
 * boolean, or no value at all (the event is then stored and not counted). Objects and arrays have no
 * text both JavaScript and PostgreSQL would give alike, so ingestion rejects them.
 */
export function isCountableValue(value: unknown): boolean {
  return value === undefined || value === null || uniqueValueText(value) !== undefined;
}

/**
 * The text a unique_count feature counts for a property value, or undefined when there is none to count.
 * It is the text PostgreSQL's `->>` gives for the same value of the stored properties, because history
 * reads and the start-up backfill count values in SQL: strings as they are, booleans as true/false, and
 * numbers in plain notation (1e21 and 1e-7 in JavaScript, 1000000000000000000000 and 0.0000001 there).
 */
export function uniqueValueText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' && Number.isFinite(value)) {
    // Integers below 1e21 print the same in both; the rest go through an exact decimal.
    return Number.isInteger(value) && Math.abs(value) < 1e21
      ? String(value)
      : new Decimal(String(value)).toFixed();
  }
  return undefined;
}
