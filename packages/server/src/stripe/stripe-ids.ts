/** The id of a Stripe reference, which the API gives as an id or, when expanded, as the object. */
export const idOf = (value: string | { id: string } | null | undefined): string | null =>
  value === null || value === undefined ? null : typeof value === 'string' ? value : value.id;
