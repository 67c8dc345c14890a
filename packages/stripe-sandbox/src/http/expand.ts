import type { Store } from '../state/store.js';

/** Replaces id strings on the given dotted paths with the objects they name, as `expand[]` asks. */
export function expandPaths(value: unknown, paths: string[], store: Store): unknown {
  let result = value;
  for (const path of paths) result = expandOne(result, path.split('.'), store);
  return result;
}

function resolve(node: unknown, store: Store): unknown {
  if (typeof node !== 'string') return node;
  const found = store.findAnywhere(node);
  return found ? structuredClone(found) : node;
}

/** Each segment expands the id it reaches, so `payment_intent.payment_method` expands both levels. */
function expandOne(node: unknown, segments: string[], store: Store): unknown {
  // A list of ids (`discounts`) expands item by item.
  if (segments.length === 0)
    return Array.isArray(node) ? node.map((item) => resolve(item, store)) : resolve(node, store);
  if (Array.isArray(node)) return node.map((item) => expandOne(item, segments, store));
  const current = resolve(node, store);
  if (current === null || typeof current !== 'object') return current;
  const [head, ...rest] = segments as [string, ...string[]];
  const record = { ...(current as Record<string, unknown>) };
  if (head in record) record[head] = expandOne(record[head], rest, store);
  return record;
}
