import { z } from 'zod';
import type { App, AppContext } from '../http/context.js';
import { requestDb } from '../http/request-database.js';
import { commonErrors, hostId, organizationParams } from '../http/schemas.js';
import { usageReport } from '../metering/reads/usage-report.js';

export const usageFeatureResponse = z.object({
  feature: z.string(),
  used: z.number(),
  included: z.union([z.number(), z.literal('unlimited')]).nullable(),
  limit: z.number().nullable(),
  remaining: z.number().nullable(),
  percent: z.number().nullable(),
  cap: z.enum(['hard', 'soft']).nullable(),
  overage_quantity: z.number(),
  overage_amount: z.number().int().describe('Minor units of the catalog currency'),
});

export const usageResponse = z.object({
  organization_id: z.string(),
  plan: z.string(),
  period: z.object({ start: z.string(), end: z.string() }),
  features: z.array(usageFeatureResponse),
  projects: z.array(
    z.object({
      project_id: z.string(),
      features: z.array(z.object({ feature: z.string(), used: z.number() })),
    }),
  ),
});
export type UsageResponse = z.infer<typeof usageResponse>;

export const usageQuery = z.strictObject({
  project_id: hostId.optional().describe('One project only: features and projects count its usage alone'),
});

export function registerGetUsageRoute(app: App, context: AppContext) {
  app.get(
    '/v1/organizations/:organizationId/usage',
    {
      config: { auth: 'organization' },
      schema: {
        tags: ['metering'],
        summary: 'Usage of the current billing period, per feature and per project',
        params: organizationParams,
        querystring: usageQuery,
        response: { 200: usageResponse, ...commonErrors },
      },
    },
    async (request) =>
      usageReport(
        requestDb(request, context),
        context.catalog,
        request.params.organizationId,
        context.now(),
        {
          projectId: request.query.project_id,
        },
      ),
  );
}
