import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { errors } from '../http/errors.js';

type Row = { id: string } & Record<string, unknown>;

interface Snapshot {
  version: 1;
  sequence: number;
  collections: Record<string, Record<string, Row>>;
  order: Record<string, number>;
}

/**
 * Every sandbox object, by collection and id. In memory always; when a data directory is given the
 * whole state is written to `<dataDir>/stripe-sandbox.json` after each change (temp file + rename,
 * so a crash never leaves half a file).
 */
export class Store {
  private snapshot: Snapshot = { version: 1, sequence: 0, collections: {}, order: {} };
  private dirty = false;

  constructor(private readonly file: string | null) {
    if (file) {
      try {
        this.snapshot = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
  }

  static forDataDir(dataDir: string | null | undefined): Store {
    if (!dataDir) return new Store(null);
    mkdirSync(dataDir, { recursive: true });
    return new Store(path.join(dataDir, 'stripe-sandbox.json'));
  }

  private table(collection: string): Record<string, Row> {
    let table = this.snapshot.collections[collection];
    if (!table) {
      table = {};
      this.snapshot.collections[collection] = table;
    }
    return table;
  }

  insert<T extends { id: string }>(collection: string, row: T): T {
    this.table(collection)[row.id] = row as unknown as Row;
    this.snapshot.sequence += 1;
    this.snapshot.order[row.id] = this.snapshot.sequence;
    this.dirty = true;
    return row;
  }

  put<T extends { id: string }>(collection: string, row: T): T {
    if (!(row.id in this.snapshot.order)) return this.insert(collection, row);
    this.table(collection)[row.id] = row as unknown as Row;
    this.dirty = true;
    return row;
  }

  get<T>(collection: string, id: string): T | undefined {
    return this.table(collection)[id] as T | undefined;
  }

  /** Looks an id up or answers Stripe's `resource_missing` naming the object kind and the param. */
  require<T>(collection: string, id: string, kind: string, param = 'id'): T {
    const row = this.get<T>(collection, id);
    if (!row) throw errors.resourceMissing(kind, id, param);
    return row;
  }

  remove(collection: string, id: string): void {
    delete this.table(collection)[id];
    this.dirty = true;
  }

  /** Newest first, as Stripe lists objects; ties broken by insertion order. */
  all<T>(collection: string): T[] {
    const order = this.snapshot.order;
    return Object.values(this.table(collection)).sort(
      (a, b) => (order[b.id] ?? 0) - (order[a.id] ?? 0),
    ) as unknown as T[];
  }

  /** Finds a public object in any collection, for `expand[]`; `_`-prefixed collections are internal. */
  findAnywhere(id: string): Row | undefined {
    for (const [collection, table] of Object.entries(this.snapshot.collections)) {
      if (collection.startsWith('_')) continue;
      const row = table[id];
      if (row) return row;
    }
    return undefined;
  }

  flush(): void {
    if (!this.file || !this.dirty) return;
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.snapshot));
    renameSync(temporary, this.file);
    this.dirty = false;
  }
}
