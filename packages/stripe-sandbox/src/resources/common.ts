import type Stripe from 'stripe';

/** Applies a metadata update as Stripe does: an empty value removes a key, an empty `metadata` clears all. */
export function mergeMetadata(
  current: Stripe.Metadata | null | undefined,
  update: Record<string, string | null> | null | undefined,
): Stripe.Metadata {
  if (update === null) return {};
  const result: Stripe.Metadata = { ...(current ?? {}) };
  for (const [key, value] of Object.entries(update ?? {})) {
    if (value === null) delete result[key];
    else result[key] = value;
  }
  return result;
}

export function emptyAddress(): Stripe.Address {
  return { city: null, country: null, line1: null, line2: null, postal_code: null, state: null };
}

export function toAddress(input: Partial<Stripe.Address> | null | undefined): Stripe.Address | null {
  if (!input) return null;
  return { ...emptyAddress(), ...input };
}

/** Fields of `after` that differ from `before`, with their old values: Stripe's `previous_attributes`. */
export function previousAttributes(before: object, after: object): Record<string, unknown> {
  const previous: Record<string, unknown> = {};
  const old = before as Record<string, unknown>;
  const current = after as Record<string, unknown>;
  for (const key of Object.keys(current)) {
    if (JSON.stringify(old[key]) !== JSON.stringify(current[key])) previous[key] = old[key] ?? null;
  }
  return previous;
}

export function deletedObject(id: string, object: string) {
  return { id, object, deleted: true as const };
}
