import type Stripe from 'stripe';

/**
 * Stripe prices by id, for reading invoice lines (which name a price, not its plan). Prices are
 * immutable but for metadata and `active`, so they are kept; the map is bounded.
 */
export class StripePriceCache {
  private readonly remembered = new Map<string, Stripe.Price>();

  constructor(
    private readonly stripe: Stripe,
    private readonly capacity = 10_000,
  ) {}

  async byId(priceId: string): Promise<Stripe.Price> {
    const hit = this.remembered.get(priceId);
    if (hit) return hit;
    const price = await this.stripe.prices.retrieve(priceId);
    if (this.remembered.size >= this.capacity) this.remembered.clear();
    this.remembered.set(priceId, price);
    return price;
  }
}
