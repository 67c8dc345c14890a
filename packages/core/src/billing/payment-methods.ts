import type { Catalog } from '../catalog/catalog.js';
import type { CheckoutPaymentMethod } from '../catalog/schema.js';

/**
 * The `payment_method_types` of a Checkout session: card always, ACH debit (us_bank_account) whenever
 * the catalog sells in US dollars (Stripe accepts it for no other currency, and a Checkout naming it
 * with another currency is refused outright), then the methods the catalog adds, each once.
 */
export function checkoutPaymentMethodTypes(catalog: Catalog): CheckoutPaymentMethod[] {
  const always: CheckoutPaymentMethod[] = catalog.currency === 'usd' ? ['card', 'us_bank_account'] : ['card'];
  return [...new Set([...always, ...catalog.definition.billing.payment_methods])];
}
