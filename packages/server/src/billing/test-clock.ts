import { AppError, notFound } from '../errors.js';
import type { AppContext } from '../http/context.js';
import { getOrganization } from '../organizations/service.js';
import { callStripe, requireStripe } from '../stripe/stripe-errors.js';

const DAY_SECONDS = 86_400;

/**
 * Test mode: moves the organization's Stripe test clock forward, so trial ends, renewals, failed
 * payments and retries happen now; their webhooks flow through the same handler as real ones.
 */
export async function advanceTestClock(
  context: AppContext,
  organizationId: string,
  days: number,
): Promise<{ test_clock: string; frozen_time: string; status: string }> {
  const gateway = requireStripe(context);
  if (!gateway.testClocks)
    throw new AppError(
      'route_not_found',
      404,
      'test clocks are off (live mode, or STRIPE_TEST_CLOCKS unset)',
    );
  const organization = await getOrganization(context.db, organizationId);
  const clockId = organization.stripeTestClockId;
  if (!clockId) {
    throw notFound(
      'test clock of organization (it gets one with its Stripe customer, at the first Checkout)',
      organizationId,
    );
  }
  const clock = await callStripe(async () => {
    const current = await gateway.stripe.testHelpers.testClocks.retrieve(clockId);
    const advanced = await gateway.stripe.testHelpers.testClocks.advance(clockId, {
      frozen_time: current.frozen_time + Math.round(days * DAY_SECONDS),
    });
    // Stripe advances in the background; wait (bounded) until the clock's work is done.
    let latest = advanced;
    for (let attempt = 0; attempt < 600 && latest.status === 'advancing'; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      latest = await gateway.stripe.testHelpers.testClocks.retrieve(clockId);
    }
    return latest;
  });
  return {
    test_clock: clock.id,
    frozen_time: new Date(clock.frozen_time * 1000).toISOString(),
    status: clock.status,
  };
}
