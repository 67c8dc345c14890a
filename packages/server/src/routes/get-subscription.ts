import type { App, AppContext } from '../http/context.js';
import { requestDb } from '../http/request-database.js';
import { commonErrors, organizationParams } from '../http/schemas.js';
import { getOrganization } from '../organizations/service.js';
import { subscriptionResponse, toSubscriptionResponse } from '../subscriptions/subscription-response.js';

export function registerGetSubscriptionRoute(app: App, context: AppContext) {
  app.get(
    '/v1/organizations/:organizationId/subscription',
    {
      config: { auth: 'organization' },
      schema: {
        tags: ['billing'],
        summary: "The organization's subscription: plan, status, period and any scheduled change",
        params: organizationParams,
        response: { 200: subscriptionResponse, ...commonErrors },
      },
    },
    async (request) =>
      toSubscriptionResponse(
        await getOrganization(requestDb(request, context), request.params.organizationId),
        context.catalog.defaultPlanCode,
      ),
  );
}
