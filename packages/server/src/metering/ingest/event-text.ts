/**
 * Text and properties of an event, checked before anything is stored: PostgreSQL refuses NUL in
 * text and jsonb, and an unpaired surrogate cannot be encoded, so either would fail the whole
 * batch's INSERT. Properties are walked with an explicit stack, so no depth can exhaust the call
 * stack, and bounded in depth and size before anything serialises them.
 */

export const MAX_PROPERTIES_DEPTH = 32;
export const MAX_PROPERTIES_BYTES = 8 * 1024;

const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** No NUL and no unpaired surrogate. */
export const isCleanText = (text: string) => !text.includes('\u0000') && !UNPAIRED_SURROGATE.test(text);

export type PropertiesProblem = { code: string; message: string };

/** Null when the properties are fine to store; otherwise why not. */
export function propertiesProblem(properties: Record<string, unknown>): PropertiesProblem | null {
  const pending: Array<{ value: unknown; depth: number; path: string }> = [
    { value: properties, depth: 1, path: 'properties' },
  ];
  // A lower bound of the JSON's size in bytes, so a huge value is refused before it is serialised.
  let bytes = 0;
  while (pending.length > 0) {
    const { value, depth, path } = pending.pop() as (typeof pending)[number];
    if (typeof value === 'string') {
      if (!isCleanText(value))
        return { code: 'invalid_text', message: `${path}: text must not contain NUL or unpaired surrogates` };
      bytes += value.length + 2;
    } else if (value !== null && typeof value === 'object') {
      if (depth > MAX_PROPERTIES_DEPTH)
        return {
          code: 'properties_too_deep',
          message: `properties must nest at most ${MAX_PROPERTIES_DEPTH} levels`,
        };
      const entries = Array.isArray(value) ? value.entries() : Object.entries(value);
      for (const [key, entry] of entries) {
        if (typeof key === 'string') {
          if (!isCleanText(key))
            return {
              code: 'invalid_text',
              message: `${path}: keys must not contain NUL or unpaired surrogates`,
            };
          bytes += key.length + 3;
        }
        pending.push({ value: entry, depth: depth + 1, path: `${path}.${key}` });
      }
      bytes += 2;
    } else bytes += 1;
    if (bytes > MAX_PROPERTIES_BYTES)
      return { code: 'properties_too_large', message: 'properties must be at most 8 KB of JSON' };
  }
  return null;
}
