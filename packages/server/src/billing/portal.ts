import type { AppContext } from '../http/context.js';
import { getOrganization } from '../organizations/service.js';
import { stripePortalConfigurationId } from '../stripe/catalog/stripe-catalog-ids.js';
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
  // The configuration `stripe sync` keeps: switching among catalog plans, cancel at period end …
  const configuration = await callStripe(() => stripePortalConfigurationId(context));
  const session = await callStripe(() =>
    gateway.stripe.billingPortal.sessions.create({
      customer: customer.customerId,
      return_url: returnUrl,
      ...(configuration && { configuration }),
    }),
  );
  return { url: session.url };
}
