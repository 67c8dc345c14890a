import type { AppContext } from '../http/context.js';
import { getOrganization } from '../organizations/service.js';
import { callStripe, requireStripe } from '../stripe/stripe-errors.js';
import { ensureStripeCustomer } from './stripe-customers.js';

/** A Stripe Customer Portal session: plan switches, cancellation, payment methods, invoice history. */
export async function createPortalSession(
  context: AppContext,
  organizationId: string,
  returnUrl: string,
): Promise<{ url: string }> {
  const gateway = requireStripe(context);
  await getOrganization(context.db, organizationId);
  const customer = await callStripe(() =>
    ensureStripeCustomer(context.db, gateway, organizationId, context.now()),
  );
  const session = await callStripe(() =>
    gateway.stripe.billingPortal.sessions.create({ customer: customer.customerId, return_url: returnUrl }),
  );
  return { url: session.url };
}
