import type Stripe from 'stripe';
import { inRange, type ListParams, listParams, paginate } from '../http/list.js';
import { any, arr, bool, str, validateParams } from '../http/params.js';
import type { Router } from '../http/router.js';
import type { Wire } from '../wire.js';

type Event = Wire<Stripe.Event>;

interface EventListInput extends ListParams {
  type?: string;
  types?: string[];
  created?: unknown;
  delivery_success?: boolean;
}

/** `type` accepts Stripe's `*` wildcard, e.g. `customer.subscription.*`. */
function typeMatches(type: string, pattern: string): boolean {
  if (!pattern.includes('*')) return type === pattern;
  return type.startsWith(pattern.slice(0, pattern.indexOf('*')));
}

export function registerEvents(router: Router): void {
  router.api('GET', '/v1/events/:id', ({ sandbox, params }) =>
    sandbox.store.require<Event>('events', params.id as string, 'event'),
  );
  router.api('GET', '/v1/events', ({ sandbox, body }) => {
    const params = validateParams<EventListInput>(
      { ...listParams, type: str(), types: arr(str()), created: any(), delivery_success: bool() },
      body,
    );
    const rows = sandbox.store
      .all<Event>('events')
      .filter((event) => params.type === undefined || typeMatches(event.type, params.type))
      .filter((event) => params.types === undefined || params.types.includes(event.type))
      .filter((event) => inRange(event.created, params.created));
    return paginate(rows, params, '/v1/events');
  });
}
