import type Stripe from 'stripe';

/**
 * The JSON form of an SDK type. The SDK turns decimal strings into `Stripe.Decimal` objects after it
 * parses a response, so on the wire those fields are strings; everything else is exactly the SDK type.
 */
export type Wire<T> = T extends string | number | boolean | null | undefined
  ? T
  : T extends Stripe.Decimal
    ? string
    : T extends readonly (infer Item)[]
      ? Wire<Item>[]
      : T extends object
        ? { [Key in keyof T]: Wire<T[Key]> }
        : T;

/** A list envelope as Stripe returns it. */
export interface ListEnvelope<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}
