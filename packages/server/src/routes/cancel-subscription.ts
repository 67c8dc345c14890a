import { z } from 'zod';
import { cancelSubscription } from '../billing/plan-changes.js';
import type { App, AppContext } from '../http/context.js';
import { requestActor } from '../http/request-actor.js';
import { requestContext, requestDb } from '../http/request-database.js';
import { commonErrors, errorResponse, organizationParams } from '../http/schemas.js';
import { getOrganization } from '../organizations/service.js';
import { subscriptionResponse, toSubscriptionResponse } from '../subscriptions/subscription-response.js';

export const cancelSubscriptionBody = z.strictObject({
  at_period_end: z
    .boolean()
    .default(true)
    .describe('true (default): runs to the end of the paid period; false: ends now, with a final invoice'),
});
export type CancelSubscriptionBody = z.input<typeof cancelSubscriptionBody>;

export function registerCancelSubscriptionRoute(app: App, context: AppContext) {
  app.delete(
    '/v1/organizations/:organizationId/subscription',
    {
      config: { auth: 'organization' },
      schema: {
        tags: ['billing'],
        summary: 'Cancel the Stripe subscription (at the period end by default)',
        params: organizationParams,
        body: cancelSubscriptionBody.optional(),
        response: { 200: subscriptionResponse, ...commonErrors, 502: errorResponse, 503: errorResponse },
      },
    },
    async (request) => {
      const { organizationId } = request.params;
      const atPeriodEnd = request.body?.at_period_end ?? true;
      await cancelSubscription(
        requestContext(request, context),
        organizationId,
        atPeriodEnd,
        requestActor(request, context).actor,
      );
      return toSubscriptionResponse(
        await getOrganization(requestDb(request, context), organizationId),
        context.catalog.defaultPlanCode,
      );
    },
  );
}
