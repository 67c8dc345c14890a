import type Stripe from 'stripe';
import type { Wire } from '../wire.js';
import { signatureHeader } from './signature.js';

type Endpoint = Wire<Stripe.WebhookEndpoint> & { secret?: string };

export interface DeliveryOptions {
  /** Delays before each retry after a failed attempt; Stripe's real schedule spans three days. */
  retryDelaysMs: number[];
  timeoutMs: number;
  onDelivered: (eventId: string) => void;
}

export const defaultRetryDelaysMs = [1_000, 5_000, 30_000, 120_000, 600_000, 3_600_000];

/**
 * Sends each event to each endpoint, signed as Stripe signs it. A non-2xx answer or a network error
 * schedules a retry with growing delays; deliveries are independent, so order is not guaranteed.
 */
export class WebhookDelivery {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<AbortController>();
  private closed = false;

  constructor(private readonly options: DeliveryOptions) {}

  deliver(event: Wire<Stripe.Event>, endpoint: Endpoint): void {
    this.attempt(event, endpoint, 0);
  }

  private attempt(event: Wire<Stripe.Event>, endpoint: Endpoint, attemptIndex: number): void {
    if (this.closed) return;
    const payload = JSON.stringify(event, null, 2);
    const timestamp = Math.floor(Date.now() / 1000);
    const controller = new AbortController();
    this.inFlight.add(controller);
    const timeout = setTimeout(() => controller.abort(), this.options.timeoutMs);
    fetch(endpoint.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        'stripe-signature': signatureHeader(payload, endpoint.secret ?? '', timestamp),
      },
      body: payload,
      signal: controller.signal,
    })
      .then(async (response) => {
        await response.arrayBuffer().catch(() => undefined);
        if (response.status >= 200 && response.status < 300) this.options.onDelivered(event.id);
        else this.retryLater(event, endpoint, attemptIndex);
      })
      .catch(() => this.retryLater(event, endpoint, attemptIndex))
      .finally(() => {
        clearTimeout(timeout);
        this.inFlight.delete(controller);
      });
  }

  private retryLater(event: Wire<Stripe.Event>, endpoint: Endpoint, attemptIndex: number): void {
    const delay = this.options.retryDelaysMs[attemptIndex];
    if (delay === undefined || this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.attempt(event, endpoint, attemptIndex + 1);
    }, delay);
    this.timers.add(timer);
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    for (const controller of this.inFlight) controller.abort();
    this.timers.clear();
  }
}
