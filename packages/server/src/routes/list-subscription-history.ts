import { z } from 'zod';
import type { App, AppContext } from '../http/context.js';
import { requestDb } from '../http/request-database.js';
import { commonErrors, iso, organizationParams } from '../http/schemas.js';
import { getOrganization } from '../organizations/service.js';
import { listSubscriptionHistory } from '../subscriptions/history.js';

export const subscriptionHistoryEntry = z.object({
  id: z.number().int(),
  subscription_id: z.string(),
  change: z.string().describe('created, plan_changed, status_changed, renewed, cancel_scheduled, ended …'),
  from_plan: z.string().nullable(),
  to_plan: z.string().nullable(),
  from_status: z.string().nullable(),
  to_status: z.string().nullable(),
  actor: z.string(),
  details: z.record(z.string(), z.unknown()),
  occurred_at: z.string(),
});
export type SubscriptionHistoryEntry = z.infer<typeof subscriptionHistoryEntry>;

export const subscriptionHistoryQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  starting_after: z.coerce.number().int().positive().optional().describe('The last id of the previous page'),
});

export function registerListSubscriptionHistoryRoute(app: App, context: AppContext) {
  app.get(
    '/v1/organizations/:organizationId/subscription/history',
    {
      config: { auth: 'organization' },
      schema: {
        tags: ['billing'],
        summary: 'Every change to the organization’s plan and subscription status, newest first',
        params: organizationParams,
        querystring: subscriptionHistoryQuery,
        response: {
          200: z.object({
            data: z.array(subscriptionHistoryEntry),
            has_more: z.boolean(),
            next_cursor: z.string().nullable(),
          }),
          ...commonErrors,
        },
      },
    },
    async (request) => {
      const { organizationId } = request.params;
      await getOrganization(requestDb(request, context), organizationId);
      const { rows, hasMore } = await listSubscriptionHistory(requestDb(request, context), organizationId, {
        limit: request.query.limit,
        startingAfter: request.query.starting_after,
      });
      return {
        data: rows.map((row) => ({
          id: row.id,
          subscription_id: row.subscriptionId,
          change: row.change,
          from_plan: row.fromPlanCode,
          to_plan: row.toPlanCode,
          from_status: row.fromStatus,
          to_status: row.toStatus,
          actor: row.actor,
          details: row.details,
          occurred_at: iso(row.occurredAt),
        })),
        has_more: hasMore,
        next_cursor: hasMore ? String(rows.at(-1)?.id) : null,
      };
    },
  );
}
