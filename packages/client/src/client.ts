import { randomUUID } from 'node:crypto';
import { EventBatcher } from './batcher.js';
import { type HttpOptions, request, TollgateError } from './http.js';
import type { CheckRequest, CheckResult, IngestResult, UsageEventInput, UsageReport } from './types.js';

export interface TollgateClientOptions {
  /** Where Tollgate listens, e.g. http://localhost:4400 */
  baseUrl: string;
  /** A host-app secret key or an organization session token. */
  apiKey: string;
  timeoutMs?: number;
  retries?: number;
  backoffMs?: number;
  /**
   * What `check` answers when Tollgate cannot be reached (after retries): `open` allows the work
   * (availability first), `closed` denies it (never give away usage). There is no default on
   * purpose: the host app must choose.
   */
  failMode: 'open' | 'closed';
  batch?: { maxBatchSize?: number; flushIntervalMs?: number; maxQueueSize?: number };
  onError?: (error: unknown) => void;
  fetch?: typeof fetch;
}

export class TollgateClient {
  private readonly http: HttpOptions;
  private readonly batcher: EventBatcher;
  private readonly failMode: 'open' | 'closed';

  constructor(options: TollgateClientOptions) {
    if (options.failMode !== 'open' && options.failMode !== 'closed') {
      throw new TypeError('failMode must be "open" or "closed"');
    }
    this.failMode = options.failMode;
    this.http = {
      baseUrl: options.baseUrl,
      apiKey: options.apiKey,
      timeoutMs: options.timeoutMs ?? 2_000,
      retries: options.retries ?? 2,
      backoffMs: options.backoffMs ?? 100,
      fetch: options.fetch ?? fetch,
    };
    const onError = options.onError ?? (() => {});
    this.batcher = new EventBatcher({
      maxBatchSize: Math.min(options.batch?.maxBatchSize ?? 500, 1000),
      flushIntervalMs: options.batch?.flushIntervalMs ?? 1_000,
      maxQueueSize: options.batch?.maxQueueSize ?? 100_000,
      send: (events) => this.ingest(events),
      onError: (error) => onError(error),
      onDropped: (events) => onError(new TollgateError('queue_full', 0, `dropped ${events.length} events`)),
    });
  }

  /** Queues usage for the next batch. Returns the event id (generated when not given). */
  track(event: UsageEventInput): string {
    const id = event.id ?? randomUUID();
    this.batcher.add({ ...event, id, timestamp: event.timestamp ?? Date.now() });
    return id;
  }

  /** Sends events now, in one request (1–1000 events), without batching. */
  ingest(events: UsageEventInput[]): Promise<IngestResult> {
    return request<IngestResult>(this.http, 'POST', '/v1/events', {
      events: events.map((event) => ({ ...event, id: event.id ?? randomUUID() })),
    });
  }

  /**
   * May the organization use this feature now? With `consume: true` the quantity is recorded when
   * allowed; an idempotency key is generated when missing so retries never consume twice.
   */
  async check(input: CheckRequest): Promise<CheckResult> {
    const body =
      input.consume && !input.idempotency_key ? { ...input, idempotency_key: randomUUID() } : input;
    try {
      return await request<CheckResult>(this.http, 'POST', '/v1/check', body);
    } catch (error) {
      if (!(error instanceof TollgateError) || !error.retryable) throw error;
      return this.degradedAnswer(input.feature);
    }
  }

  private degradedAnswer(feature: string): CheckResult {
    const base = { feature, limit: null, used: 0, remaining: null, cap: null, degraded: true } as const;
    return this.failMode === 'open'
      ? { ...base, allowed: true }
      : { ...base, allowed: false, reason: 'tollgate_unavailable' };
  }

  usage(organizationId: string): Promise<UsageReport> {
    return request<UsageReport>(
      this.http,
      'GET',
      `/v1/organizations/${encodeURIComponent(organizationId)}/usage`,
    );
  }

  /** Events queued and not yet sent. */
  get pendingEvents(): number {
    return this.batcher.pending;
  }

  flush(): Promise<void> {
    return this.batcher.flush();
  }

  /** Flushes what is queued and stops the flush timer. Call it before the process exits. */
  async shutdown(): Promise<void> {
    await this.batcher.flush();
    this.batcher.stop();
  }
}

export function createTollgateClient(options: TollgateClientOptions): TollgateClient {
  return new TollgateClient(options);
}
