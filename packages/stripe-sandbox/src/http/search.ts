import { errors } from './errors.js';
import { any, required, str, validateParams } from './params.js';
import type { Router } from './router.js';

interface Clause {
  field: string;
  metadataKey: string | null;
  value: string;
}

/**
 * Stripe's search language, the part Tollgate needs: `field:'value'` and `metadata['key']:'value'`
 * clauses joined by AND. Anything else is rejected rather than guessed at.
 */
export function parseSearchQuery(query: string): Clause[] {
  const clauses: Clause[] = [];
  const parts = query.split(/\s+AND\s+/i);
  for (const part of parts) {
    const match = /^\s*(metadata\[['"]([^'"]+)['"]\]|[a-z_]+)\s*:\s*['"]([^'"]*)['"]\s*$/.exec(part);
    if (!match) throw errors.invalidValue('query', `Unsupported search query: ${query}`);
    clauses.push({
      field: match[2] ? 'metadata' : (match[1] as string),
      metadataKey: match[2] ?? null,
      value: match[3] ?? '',
    });
  }
  return clauses;
}

export function matchesSearch(row: Record<string, unknown>, clauses: Clause[]): boolean {
  return clauses.every((clause) => {
    if (clause.metadataKey !== null) {
      const metadata = (row.metadata ?? {}) as Record<string, string>;
      return metadata[clause.metadataKey] === clause.value;
    }
    const value = row[clause.field];
    return value !== undefined && value !== null && String(value) === clause.value;
  });
}

export function searchResult<T>(data: T[], url: string) {
  return { object: 'search_result' as const, data, has_more: false, next_page: null, url };
}

/** `GET <resourcePath>/search` over one stored collection, answered the way Stripe's search endpoints answer. */
export function registerSearchRoute(router: Router, resourcePath: string, collection: string): void {
  const path = `${resourcePath}/search`;
  router.api('GET', path, ({ sandbox, body }) => {
    const params = validateParams<{ query: string }>(
      { query: required(str()), limit: any(), page: any() },
      body,
    );
    const clauses = parseSearchQuery(params.query);
    const rows = sandbox.store
      .all<Record<string, unknown>>(collection)
      .filter((row) => matchesSearch(row, clauses));
    return searchResult(rows, path);
  });
}
