import { badRequest } from '../errors.js';

// A NUL byte, a high surrogate not followed by a low one, or a low surrogate not preceded by a high
// one. Without the `u` flag the pattern sees UTF-16 code units, which is what it has to judge.
const INVALID_TEXT = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:^|[^\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const MESSAGE = 'text must not contain a NUL byte or an unpaired UTF-16 surrogate';

/**
 * Whether any string or key anywhere in `value` is invalid text: the cheap pass every request takes.
 * A flat object (a check's body, path parameters) is judged without allocating anything.
 */
function holdsInvalidText(value: unknown): boolean {
  if (typeof value === 'string') return INVALID_TEXT.test(value);
  let pending: object[] | undefined;
  let current: unknown = value;
  for (;;) {
    if (current !== null && typeof current === 'object' && !Buffer.isBuffer(current)) {
      const array = Array.isArray(current);
      for (const key in current) {
        if (!Object.hasOwn(current, key)) continue;
        if (!array && INVALID_TEXT.test(key)) return true;
        const item = (current as Record<string, unknown>)[key];
        if (typeof item === 'string') {
          if (INVALID_TEXT.test(item)) return true;
        } else if (item !== null && typeof item === 'object') {
          pending ??= [];
          pending.push(item);
        }
      }
    }
    if (pending === undefined || pending.length === 0) return false;
    current = pending.pop();
  }
}

/**
 * The first place in `value` (parsed JSON, path parameters or a query) holding text PostgreSQL cannot
 * store, as "body.events.3.id"; a bad object key is named by the object holding it. Iterative, so a
 * deeply nested body cannot exhaust the stack here.
 */
export function findInvalidText(value: unknown, location: string): string | undefined {
  if (!holdsInvalidText(value)) return undefined;
  const pending: Array<[unknown, string]> = [[value, location]];
  while (pending.length > 0) {
    const [current, path] = pending.pop() as [unknown, string];
    if (typeof current === 'string') {
      if (INVALID_TEXT.test(current)) return path;
    } else if (Array.isArray(current)) {
      for (let index = current.length - 1; index >= 0; index -= 1)
        pending.push([current[index], `${path}.${index}`]);
    } else if (current !== null && typeof current === 'object' && !Buffer.isBuffer(current)) {
      for (const key of Object.keys(current)) {
        if (INVALID_TEXT.test(key)) return path;
        pending.push([(current as Record<string, unknown>)[key], `${path}.${key}`]);
      }
    }
  }
  return undefined;
}

/**
 * Body fields whose items the route judges one by one, so that one bad item is rejected alone: the
 * events of a batch (metering's ingest rejects an event with bad text and stores the others).
 */
const ITEMS_JUDGED_BY_ROUTE: ReadonlyMap<string, string> = new Map([['/v1/events', 'events']]);

function bodyToCheck(routeUrl: string | undefined, body: unknown): unknown {
  const itemsField = routeUrl === undefined ? undefined : ITEMS_JUDGED_BY_ROUTE.get(routeUrl);
  if (itemsField === undefined || body === null || typeof body !== 'object' || Array.isArray(body))
    return body;
  const { [itemsField]: _judgedByTheRoute, ...rest } = body as Record<string, unknown>;
  return rest;
}

/** The 400 for a request whose text PostgreSQL would refuse, naming the field. */
export function invalidTextError(request: {
  params: unknown;
  query: unknown;
  body: unknown;
  routeOptions: { url?: string | undefined };
}) {
  const field =
    findInvalidText(request.params, 'params') ??
    findInvalidText(request.query, 'querystring') ??
    findInvalidText(bodyToCheck(request.routeOptions.url, request.body), 'body');
  if (field === undefined) return undefined;
  return badRequest('invalid_text', `${field}: ${MESSAGE}`, { fields: [{ field, message: MESSAGE }] });
}
