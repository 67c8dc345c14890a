/** A decoded request body or query: nested objects and arrays of strings, as Stripe's form encoding allows. */
export type FormValue = string | FormValue[] | { [key: string]: FormValue };
export type FormObject = { [key: string]: FormValue };

/** Splits `a[b][0][c]` into ['a', 'b', '0', 'c']; `tags[]` yields an empty last segment (append). */
function keySegments(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0) return [key];
  const segments = [key.slice(0, open)];
  const pattern = /\[([^\]]*)\]/g;
  for (const match of key.slice(open).matchAll(pattern)) segments.push(match[1] ?? '');
  return segments;
}

function assign(target: FormObject, segments: string[], value: string): void {
  let node: FormObject = target;
  for (let index = 0; index < segments.length - 1; index++) {
    const segment = segments[index] as string;
    const key = segment === '' ? String(Object.keys(node).length) : segment;
    const existing = node[key];
    if (typeof existing === 'object' && !Array.isArray(existing)) {
      node = existing;
    } else {
      const child: FormObject = {};
      node[key] = child;
      node = child;
    }
  }
  const last = segments[segments.length - 1] as string;
  node[last === '' ? String(Object.keys(node).length) : last] = value;
}

/** Objects whose keys are all array indexes become arrays, ordered by index. */
function arraysFromIndexes(value: FormValue): FormValue {
  if (typeof value === 'string' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  for (const key of keys) value[key] = arraysFromIndexes(value[key] as FormValue);
  if (keys.length > 0 && keys.every((key) => /^\d+$/.test(key))) {
    return keys
      .map(Number)
      .sort((a, b) => a - b)
      .map((index) => value[String(index)] as FormValue);
  }
  return value;
}

export function parseForm(text: string): FormObject {
  const result: FormObject = {};
  if (text.length === 0) return result;
  for (const pair of text.split('&')) {
    if (pair.length === 0) continue;
    const separator = pair.indexOf('=');
    const rawKey = separator < 0 ? pair : pair.slice(0, separator);
    const rawValue = separator < 0 ? '' : pair.slice(separator + 1);
    const key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
    const value = decodeURIComponent(rawValue.replace(/\+/g, ' '));
    assign(result, keySegments(key), value);
  }
  return arraysFromIndexes(result) as FormObject;
}

/** Encodes nested values the way Stripe's clients do, for tests and hosted pages that post to the API. */
export function encodeForm(value: unknown, prefix = ''): string {
  const pairs: string[] = [];
  const walk = (key: string, item: unknown): void => {
    if (item === undefined) return;
    if (item === null || typeof item !== 'object') {
      pairs.push(`${encodeURIComponent(key)}=${encodeURIComponent(item === null ? '' : String(item))}`);
      return;
    }
    if (Array.isArray(item)) {
      for (const [index, element] of item.entries()) walk(`${key}[${index}]`, element);
    } else for (const [name, element] of Object.entries(item)) walk(key ? `${key}[${name}]` : name, element);
  };
  walk(prefix, value);
  return pairs.join('&');
}
