import type Stripe from 'stripe';
import { newId } from './state/ids.js';
import type { Store } from './state/store.js';
import { WebhookDelivery } from './webhooks/delivery.js';
import type { Wire } from './wire.js';

export const API_VERSION = '2026-10-28.endive';

type Endpoint = Wire<Stripe.WebhookEndpoint> & { secret?: string };
type Clock = Wire<Stripe.TestHelpers.TestClock>;
type EventType = Stripe.Event['type'];

export interface RequestInfo {
  id: string;
  idempotencyKey: string | null;
}

export interface BillingSettings {
  /** Days between failed invoice payment attempts; Stripe's default smart-retry window is similar. */
  retryDelaysDays: number[];
  /** What happens to a subscription once every retry has failed (Stripe's "subscription status" setting). */
  afterFinalFailure: 'cancel' | 'unpaid' | 'past_due';
}

export interface SandboxSettings {
  baseUrl: string;
  webhookRetryDelaysMs: number[];
  billing: BillingSettings;
}

/** The state and services every resource handler works with. */
export class Sandbox {
  readonly webhooks: WebhookDelivery;
  /** The request being served, so events can name it in `request`. */
  currentRequest: RequestInfo | null = null;

  constructor(
    readonly store: Store,
    readonly settings: SandboxSettings,
  ) {
    this.webhooks = new WebhookDelivery({
      retryDelaysMs: settings.webhookRetryDelaysMs,
      timeoutMs: 10_000,
      onDelivered: (eventId) => this.markDelivered(eventId),
    });
  }

  get baseUrl(): string {
    return this.settings.baseUrl;
  }

  /** Unix seconds: the test clock's frozen time for objects on a clock, the wall clock otherwise. */
  now(clockId?: string | null): number {
    if (clockId) {
      const clock = this.store.get<Clock>('test_clocks', clockId);
      if (clock) return clock.frozen_time;
    }
    return Math.floor(Date.now() / 1000);
  }

  clockOfCustomer(customerId: string | null | undefined): string | null {
    if (!customerId) return null;
    const customer = this.store.get<Wire<Stripe.Customer>>('customers', customerId);
    const clock = customer?.test_clock;
    return typeof clock === 'string' ? clock : (clock?.id ?? null);
  }

  /** Records an event and sends it to every enabled endpoint that listens for its type. */
  emit(
    type: EventType,
    object: object,
    options: { clockId?: string | null; previous?: Record<string, unknown> } = {},
  ): Wire<Stripe.Event> {
    const endpoints = this.store
      .all<Endpoint>('webhook_endpoints')
      .filter(
        (endpoint) =>
          endpoint.status === 'enabled' &&
          (endpoint.enabled_events.includes('*') || endpoint.enabled_events.includes(type)),
      );
    const request = this.currentRequest;
    const event = {
      id: newId('evt'),
      object: 'event',
      api_version: API_VERSION,
      created: this.now(options.clockId),
      data: {
        object: structuredClone(object),
        ...(options.previous ? { previous_attributes: options.previous } : {}),
      },
      livemode: false,
      pending_webhooks: endpoints.length,
      request: { id: request?.id ?? null, idempotency_key: request?.idempotencyKey ?? null },
      type,
    } as unknown as Wire<Stripe.Event>;
    this.store.insert('events', event);
    for (const endpoint of endpoints) this.webhooks.deliver(event, endpoint);
    return event;
  }

  private markDelivered(eventId: string): void {
    const event = this.store.get<Wire<Stripe.Event>>('events', eventId);
    if (!event) return;
    event.pending_webhooks = Math.max(0, event.pending_webhooks - 1);
    this.store.put('events', event);
    this.store.flush();
  }
}
