import type { UniqueBucket } from '../tables/usage-unique-buckets.js';
import type { UniqueValue } from '../tables/usage-unique-values.js';

/**
 * Keys of unique_count rows (`usage_unique_values`, `usage_unique_buckets`) that this process saw
 * committed. A stored row stays: nothing deletes the distinct values of a period, and buckets are
 * only rebuilt by the start-up backfill, from the events, before the server answers. So an event
 * whose keys are all known here need not send them: the database's ON CONFLICT would look each one up
 * to do nothing, ~8 µs of PostgreSQL time per row, four rows per event with a project. A key that is
 * not known here is sent as before, so a forgotten or never-seen key costs only that lookup.
 *
 * Bounded by two generations of at most `generationSize` keys: when the current one fills, it becomes
 * the previous and the oldest is dropped; a key found in the previous generation moves to the current.
 */
/** How many keys a process remembers unless told otherwise (`UNIQUE_KEYS_REMEMBERED`): ~25 MB at most. */
export const DEFAULT_UNIQUE_KEYS_REMEMBERED = 200_000;

export class StoredUniqueKeys {
  private current = new Set<string>();
  private previous = new Set<string>();

  constructor(private readonly generationSize: number) {}

  /** Keys for `keysRemembered` in all (`UNIQUE_KEYS_REMEMBERED`): two generations of half the size each. */
  static remembering(keysRemembered: number): StoredUniqueKeys {
    return new StoredUniqueKeys(Math.ceil(keysRemembered / 2));
  }

  has(key: string): boolean {
    if (this.current.has(key)) return true;
    if (!this.previous.has(key)) return false;
    this.remember(key);
    return true;
  }

  /** Only after the transaction that wrote or found these rows has committed. */
  rememberAll(keys: readonly string[]): void {
    for (const key of keys) this.remember(key);
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }

  private remember(key: string): void {
    if (this.generationSize <= 0) return;
    this.current.add(key);
    if (this.current.size >= this.generationSize) {
      this.previous = this.current;
      this.current = new Set();
    }
  }
}

export const uniqueValueKey = (value: UniqueValue) =>
  `v\u0000${value.organizationId}\u0000${value.feature}\u0000${value.periodStart.getTime()}\u0000${value.projectId}\u0000${value.value}`;

export const uniqueBucketKey = (bucket: UniqueBucket) =>
  `b\u0000${bucket.organizationId}\u0000${bucket.feature}\u0000${bucket.granularity}\u0000${bucket.bucket.getTime()}\u0000${bucket.value}`;

/**
 * The rows of a batch that `known` does not hold, each with its key for `rememberAll` once committed.
 * Without `known` every row is sent and nothing is remembered.
 */
export function unknownRows<Row>(
  rows: readonly Row[],
  keyOf: (row: Row) => string,
  known: StoredUniqueKeys | undefined,
): { rows: Row[]; keys: string[] } {
  if (known === undefined) return { rows: [...rows], keys: [] };
  const unknown: Row[] = [];
  const keys: string[] = [];
  for (const row of rows) {
    const key = keyOf(row);
    if (known.has(key)) continue;
    unknown.push(row);
    keys.push(key);
  }
  return { rows: unknown, keys };
}
