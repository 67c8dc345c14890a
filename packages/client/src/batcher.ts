import type { IngestResult, UsageEventInput } from './types.js';

export interface BatcherOptions {
  /** Flush as soon as this many events wait (the API takes at most 1000 per request). */
  maxBatchSize: number;
  /** Flush waiting events at least this often. */
  flushIntervalMs: number;
  /** Events kept while Tollgate is unreachable; the oldest are dropped past it. */
  maxQueueSize: number;
  send: (events: UsageEventInput[]) => Promise<IngestResult>;
  onError: (error: unknown, events: UsageEventInput[]) => void;
  onDropped: (events: UsageEventInput[]) => void;
}

/**
 * Collects tracked events and sends them in batches. Every event carries its id from the moment it
 * is queued, so a batch that failed can be sent again without counting anything twice.
 */
export class EventBatcher {
  private queue: UsageEventInput[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(private readonly options: BatcherOptions) {}

  get pending(): number {
    return this.queue.length;
  }

  add(event: UsageEventInput): void {
    this.queue.push(event);
    const overflow = this.queue.length - this.options.maxQueueSize;
    if (overflow > 0) this.options.onDropped(this.queue.splice(0, overflow));
    if (this.queue.length >= this.options.maxBatchSize) void this.flush();
    else this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.options.flushIntervalMs);
    // A pending flush must not keep the host process alive; shutdown() flushes explicitly.
    this.timer.unref();
  }

  /** Sends everything queued so far; resolves when it has been sent or has failed. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const next = this.inFlight.then(() => this.sendQueued());
    this.inFlight = next;
    return next;
  }

  private async sendQueued(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatchSize);
      try {
        await this.options.send(batch);
      } catch (error) {
        // Put the batch back in front so a later flush retries it; ids keep the retry exact.
        this.queue.unshift(...batch);
        this.options.onError(error, batch);
        if (this.queue.length > 0) this.schedule();
        return;
      }
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
