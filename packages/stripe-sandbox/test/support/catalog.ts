import type Stripe from 'stripe';

/** A product with one licensed monthly price, the shape most billing tests start from. */
export async function monthlyPrice(
  stripe: Stripe,
  unitAmount: number,
  name = 'Standard',
): Promise<Stripe.Price> {
  const product = await stripe.products.create({ name });
  return stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: unitAmount,
    recurring: { interval: 'month' },
  });
}

/** Stripe's documented test pattern: a customer whose default payment method is a 4242 card. */
export function cardCustomer(
  stripe: Stripe,
  params: Stripe.CustomerCreateParams = {},
): Promise<Stripe.Customer> {
  return stripe.customers.create({
    payment_method: 'pm_card_visa',
    invoice_settings: { default_payment_method: 'pm_card_visa' },
    ...params,
  });
}
