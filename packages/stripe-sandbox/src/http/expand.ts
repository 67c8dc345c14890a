import type { Store } from '../state/store.js';

/** Replaces id strings on the given dotted paths with the objects they name, as `expand[]` asks. */
export function expandPaths(value: unknown, paths: string[], store: Store): unknown {
  let result = value;
  for (const path of paths) result = expandOne(result, path.split('.'), store);
  return result;
}

function expandOne(node: unknown, segments: string[], store: Store): unknown {
  if (segments.length === 0) {
    if (typeof node === 'string')
      return store.findAnywhere(node) ? structuredClone(store.findAnywhere(node)) : node;
    return node;
  }
  if (Array.isArray(node)) return node.map((item) => expandOne(item, segments, store));
  if (node === null || typeof node !== 'object') return node;
  const [head, ...rest] = segments as [string, ...string[]];
  const record = { ...(node as Record<string, unknown>) };
  if (head in record) record[head] = expandOne(record[head], rest, store);
  return record;
}
