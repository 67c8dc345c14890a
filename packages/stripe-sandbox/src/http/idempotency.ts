import type { Store } from '../state/store.js';

export interface StoredResponse {
  id: string;
  fingerprint: string;
  status: number;
  body: string;
  storedAt: number;
}

const WINDOW_MS = 24 * 60 * 60 * 1000;
/** The SDK retries within seconds; an hour is plenty and keeps memory bounded under heavy traffic. */
const SDK_WINDOW_MS = 60 * 60 * 1000;

/** The SDK puts a key of this form on every POST, only so its own network retries are not applied twice. */
const SDK_RETRY_PREFIX = 'stripe-node-retry-';

/**
 * Responses remembered per idempotency key for 24 hours. Keys a caller chose are kept in the store (and so
 * survive a restart with a data directory); the SDK's per-request retry keys stay in memory for an hour,
 * so the data file does not grow by one response per request.
 */
export class IdempotencyCache {
  private readonly memory = new Map<string, StoredResponse>();

  constructor(private readonly store: Store) {}

  private isSdkKey(key: string): boolean {
    return key.includes(SDK_RETRY_PREFIX);
  }

  get(key: string): StoredResponse | undefined {
    const sdkKey = this.isSdkKey(key);
    const found = sdkKey ? this.memory.get(key) : this.store.get<StoredResponse>('_idempotency', key);
    return found && Date.now() - found.storedAt < (sdkKey ? SDK_WINDOW_MS : WINDOW_MS) ? found : undefined;
  }

  set(key: string, value: Omit<StoredResponse, 'id'>): void {
    const record = { id: key, ...value };
    if (this.isSdkKey(key)) this.memory.set(key, record);
    else this.store.put('_idempotency', record);
    this.prune();
  }

  private lastPrune = 0;

  /** Drops expired responses, at most once a minute. */
  private prune(): void {
    const now = Date.now();
    if (now - this.lastPrune < 60_000) return;
    this.lastPrune = now;
    for (const [key, record] of this.memory)
      if (now - record.storedAt >= SDK_WINDOW_MS) this.memory.delete(key);
    for (const record of this.store.all<StoredResponse>('_idempotency')) {
      if (now - record.storedAt >= WINDOW_MS) this.store.remove('_idempotency', record.id);
    }
  }
}
