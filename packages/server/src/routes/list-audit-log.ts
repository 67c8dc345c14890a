import { z } from 'zod';
import { listAuditEntries } from '../audit/list.js';
import type { App, AppContext } from '../http/context.js';
import { readThatMayLag } from '../http/request-database.js';
import { commonErrors, iso, organizationParams } from '../http/schemas.js';
import { getOrganization } from '../organizations/service.js';

export const auditEntryResponse = z.object({
  id: z.number().int(),
  actor: z.string(),
  action: z.string(),
  target_type: z.string(),
  target_id: z.string(),
  before: z.unknown(),
  after: z.unknown(),
  request_id: z.string().nullable(),
  occurred_at: z.string(),
});

export const auditLogQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  starting_after: z.coerce.number().int().positive().optional().describe('The last id of the previous page'),
});

export function registerListAuditLogRoute(app: App, context: AppContext) {
  app.get(
    '/v1/organizations/:organizationId/audit-log',
    {
      config: { auth: 'organization' },
      schema: {
        tags: ['audit'],
        summary: "An organization's audit log, newest first",
        params: organizationParams,
        querystring: auditLogQuery,
        response: {
          200: z.object({
            data: z.array(auditEntryResponse),
            has_more: z.boolean(),
            next_cursor: z.string().nullable(),
          }),
          ...commonErrors,
        },
      },
    },
    async (request) => {
      const { organizationId } = request.params;
      // History that may lag: on the read replica when there is one (sessions: their own view).
      const { entries, hasMore } = await readThatMayLag(request, context, async (db) => {
        await getOrganization(db, organizationId);
        return listAuditEntries(db, organizationId, request.query.limit, request.query.starting_after);
      });
      return {
        data: entries.map((entry) => ({
          id: entry.id,
          actor: entry.actor,
          action: entry.action,
          target_type: entry.targetType,
          target_id: entry.targetId,
          before: entry.before,
          after: entry.after,
          request_id: entry.requestId,
          occurred_at: iso(entry.occurredAt),
        })),
        has_more: hasMore,
        next_cursor: hasMore ? String(entries.at(-1)?.id) : null,
      };
    },
  );
}
