import type Stripe from 'stripe';
import { AppError } from '../errors.js';

/**
 * The current Stripe price behind each lookup key. Lookup keys move to a new price when an amount
 * changes, so they are resolved through Stripe, and remembered briefly: Checkout and plan changes
 * need them on every call, and a catalog change moves them rarely.
 */
export class CatalogPrices {
  private readonly remembered = new Map<string, { price: Stripe.Price; until: number }>();
  private readonly byIdRemembered = new Map<string, Stripe.Price>();

  constructor(
    private readonly stripe: Stripe,
    private readonly rememberMs = 60_000,
  ) {}

  async prices(lookupKeys: readonly string[], nowMs = Date.now()): Promise<Map<string, Stripe.Price>> {
    const found = new Map<string, Stripe.Price>();
    const missing: string[] = [];
    for (const key of lookupKeys) {
      const hit = this.remembered.get(key);
      if (hit && hit.until > nowMs) found.set(key, hit.price);
      else missing.push(key);
    }
    for (let start = 0; start < missing.length; start += 10) {
      const batch = missing.slice(start, start + 10);
      const page = await this.stripe.prices.list({ lookup_keys: batch, active: true, limit: 100 });
      for (const price of page.data) {
        if (!price.lookup_key) continue;
        found.set(price.lookup_key, price);
        this.remembered.set(price.lookup_key, { price, until: nowMs + this.rememberMs });
      }
    }
    return found;
  }

  /** The price for one key, or 503 catalog_not_synced when `stripe sync` has not created it. */
  async require(lookupKey: string): Promise<Stripe.Price> {
    const price = (await this.prices([lookupKey])).get(lookupKey);
    if (!price) {
      throw new AppError(
        'catalog_not_synced',
        503,
        `Stripe has no price with lookup key "${lookupKey}"; run \`npm run tollgate -- stripe sync\``,
      );
    }
    return price;
  }

  /** A price by id. Prices are immutable but for metadata and `active`, so they are kept (a bounded number). */
  async byId(priceId: string): Promise<Stripe.Price> {
    const hit = this.byIdRemembered.get(priceId);
    if (hit) return hit;
    const price = await this.stripe.prices.retrieve(priceId);
    if (this.byIdRemembered.size >= 10_000) this.byIdRemembered.clear();
    this.byIdRemembered.set(priceId, price);
    return price;
  }

  forget(): void {
    this.remembered.clear();
    this.byIdRemembered.clear();
  }
}
