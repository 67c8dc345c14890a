import { z } from 'zod';
import type { App, AppContext } from '../http/context.js';
import { readThatMayLag } from '../http/request-database.js';
import { commonErrors, hostId } from '../http/schemas.js';
import { usageHistory } from '../metering/reads/usage-history.js';

export const usageHistoryParams = z.strictObject({
  organizationId: hostId,
  feature: z.string().min(1).max(63),
});

export const usageHistoryQuery = z.strictObject({
  granularity: z.enum(['hour', 'day']).default('day'),
  project_id: hostId.optional().describe('One project only; default: the whole organization'),
  from: z.iso.datetime({ offset: true }).optional().describe('Default: the start of the current period'),
  to: z.iso.datetime({ offset: true }).optional().describe('Default: now'),
});

export const usageHistoryResponse = z.object({
  organization_id: z.string(),
  feature: z.string(),
  granularity: z.enum(['hour', 'day']),
  from: z.string(),
  to: z.string(),
  points: z.array(z.object({ start: z.string(), value: z.number() })),
});

export function registerGetUsageHistoryRoute(app: App, context: AppContext) {
  app.get(
    '/v1/organizations/:organizationId/usage/:feature/history',
    {
      config: { auth: 'organization' },
      schema: {
        tags: ['metering'],
        summary: 'A time series of one feature, by hour or day (UTC)',
        params: usageHistoryParams,
        querystring: usageHistoryQuery,
        response: { 200: usageHistoryResponse, ...commonErrors },
      },
    },
    // From the rollups, so it may lag: on the read replica when there is one (docs/scaling.md).
    async (request) =>
      readThatMayLag(request, context, (db) =>
        usageHistory(
          db,
          context.catalog,
          {
            organizationId: request.params.organizationId,
            feature: request.params.feature,
            granularity: request.query.granularity,
            projectId: request.query.project_id,
            from: request.query.from ? new Date(request.query.from) : undefined,
            to: request.query.to ? new Date(request.query.to) : undefined,
          },
          context.now(),
        ),
      ),
  );
}
