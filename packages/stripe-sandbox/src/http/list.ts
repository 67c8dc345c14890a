import type { ListEnvelope } from '../wire.js';
import { errors } from './errors.js';
import { any, int, type Spec, str } from './params.js';

export const listParams: Record<string, Spec> = {
  limit: int(),
  starting_after: str(),
  ending_before: str(),
};

export interface ListParams {
  limit?: number;
  starting_after?: string;
  ending_before?: string;
}

export const rangeParam = (): Spec => any();

/**
 * Stripe's equality filters on lists (`customer=…`, `status=…`): a row matches when every named
 * field the request gave equals the row's field of the same name; fields not given match anything.
 */
export function matchesEquals<Row extends object, Params extends object>(
  row: Row,
  params: Params,
  fields: ReadonlyArray<keyof Row & keyof Params>,
): boolean {
  return fields.every((field) => params[field] === undefined || (row[field] as unknown) === params[field]);
}

/** `created=…` or `created[gte]=…` style filters. */
export function inRange(value: number | null | undefined, filter: unknown): boolean {
  if (filter === undefined) return true;
  if (value === null || value === undefined) return false;
  if (typeof filter === 'string') return value === Number(filter);
  const range = filter as Record<string, string>;
  if (range.gt !== undefined && !(value > Number(range.gt))) return false;
  if (range.gte !== undefined && !(value >= Number(range.gte))) return false;
  if (range.lt !== undefined && !(value < Number(range.lt))) return false;
  if (range.lte !== undefined && !(value <= Number(range.lte))) return false;
  return true;
}

/** Cursor pagination over items already ordered newest first, as Stripe pages its lists. */
export function paginate<T extends { id: string }>(
  items: T[],
  params: ListParams,
  url: string,
): ListEnvelope<T> {
  const limit = params.limit ?? 10;
  if (limit < 1 || limit > 100) {
    throw errors.invalidValue('limit', 'Invalid limit: must be between 1 and 100');
  }
  if (params.starting_after !== undefined) {
    const index = items.findIndex((item) => item.id === params.starting_after);
    if (index < 0) throw errors.resourceMissing('object', params.starting_after, 'starting_after');
    const rest = items.slice(index + 1);
    return { object: 'list', data: rest.slice(0, limit), has_more: rest.length > limit, url };
  }
  if (params.ending_before !== undefined) {
    const index = items.findIndex((item) => item.id === params.ending_before);
    if (index < 0) throw errors.resourceMissing('object', params.ending_before, 'ending_before');
    const before = items.slice(0, index);
    return {
      object: 'list',
      data: before.slice(Math.max(0, before.length - limit)),
      has_more: before.length > limit,
      url,
    };
  }
  return { object: 'list', data: items.slice(0, limit), has_more: items.length > limit, url };
}
