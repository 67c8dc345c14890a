import type { App, AppContext } from '../http/context.js';
import { requestDb } from '../http/request-database.js';
import { commonErrors, organizationParams } from '../http/schemas.js';
import { organizationResponse, toOrganizationResponse } from '../organizations/organization-response.js';
import { getOrganization } from '../organizations/service.js';

export function registerGetOrganizationRoute(app: App, context: AppContext) {
  app.get(
    '/v1/organizations/:organizationId',
    {
      config: { auth: 'organization' },
      schema: {
        tags: ['organizations'],
        summary: 'Read an organization and its current plan',
        params: organizationParams,
        response: { 200: organizationResponse, ...commonErrors },
      },
    },
    async (request) =>
      toOrganizationResponse(
        await getOrganization(requestDb(request, context), request.params.organizationId),
      ),
  );
}
