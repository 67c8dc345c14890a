import { z } from 'zod';
import type { App, AppContext } from '../http/context.js';
import { requestDb } from '../http/request-database.js';
import { commonErrors, organizationParams } from '../http/schemas.js';
import { listAlerts } from '../metering/reads/list-alerts.js';
import { getOrganization } from '../organizations/service.js';

export const usageAlertResponse = z.object({
  feature: z.string(),
  threshold: z.number().int().describe('Percent of the included quantity'),
  period_start: z.string(),
  period_end: z.string(),
  used: z.number().describe('Usage when the threshold was crossed'),
  limit: z.number(),
  created_at: z.string(),
});

export const usageAlertsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export function registerListUsageAlertsRoute(app: App, context: AppContext) {
  app.get(
    '/v1/organizations/:organizationId/alerts',
    {
      config: { auth: 'organization' },
      schema: {
        tags: ['metering'],
        summary: 'Usage alerts (80 %, 100 %, 120 % … of a limit), newest first',
        params: organizationParams,
        querystring: usageAlertsQuery,
        response: { 200: z.object({ data: z.array(usageAlertResponse) }), ...commonErrors },
      },
    },
    async (request) => {
      await getOrganization(requestDb(request, context), request.params.organizationId);
      return {
        data: await listAlerts(
          requestDb(request, context),
          request.params.organizationId,
          request.query.limit,
        ),
      };
    },
  );
}
