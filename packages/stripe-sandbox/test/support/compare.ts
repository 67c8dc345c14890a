/** One difference between a sandbox object and Stripe's example. */
export interface Difference {
  path: string;
  problem: string;
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/**
 * Walks Stripe's example and checks that the sandbox object has every field, with the same JSON type
 * where both are non-null, nesting into objects and into the first element of arrays. Fields the
 * sandbox adds beyond the example are reported too, so invented names show up.
 */
export function compareShape(example: unknown, actual: unknown, path = ''): Difference[] {
  const differences: Difference[] = [];
  const exampleKind = kind(example);
  const actualKind = kind(actual);
  if (exampleKind === 'null' || actualKind === 'null') return differences;
  if (exampleKind !== actualKind) {
    return [{ path: path || '(root)', problem: `type ${actualKind}, Stripe has ${exampleKind}` }];
  }
  if (exampleKind === 'array') {
    const [first] = example as unknown[];
    const [mine] = actual as unknown[];
    if (first !== undefined && mine !== undefined)
      differences.push(...compareShape(first, mine, `${path}[0]`));
    return differences;
  }
  if (exampleKind !== 'object') return differences;
  const exampleObject = example as Record<string, unknown>;
  const actualObject = actual as Record<string, unknown>;
  // Free-form maps (metadata, payloads) and an event's polymorphic object have no fixed keys.
  if (/(^|\.)(metadata|payload|previous_attributes)$/.test(path) || path === 'data.object')
    return differences;
  for (const key of Object.keys(exampleObject)) {
    const child = path ? `${path}.${key}` : key;
    if (!(key in actualObject)) differences.push({ path: child, problem: 'missing' });
    else differences.push(...compareShape(exampleObject[key], actualObject[key], child));
  }
  for (const key of Object.keys(actualObject)) {
    if (!(key in exampleObject))
      differences.push({ path: path ? `${path}.${key}` : key, problem: 'not in Stripe example' });
  }
  return differences;
}
