import { z } from 'zod';
import { stripeEventStatuses } from '../db/schema/index.js';
import type { App, AppContext } from '../http/context.js';
import { commonErrors, errorResponse, iso, isoOrNull } from '../http/schemas.js';
import { listStripeEvents } from '../stripe/webhooks/event-store.js';

export const listStripeEventsQuery = z.strictObject({
  status: z.enum(stripeEventStatuses).optional().describe('failed: what Stripe is still retrying'),
  type: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[a-z_.]+$/)
    .optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  starting_after: z.string().min(1).max(255).optional(),
});

export const stripeEventResponse = z.object({
  id: z.string(),
  type: z.string(),
  status: z.enum(stripeEventStatuses),
  organization_id: z.string().nullable(),
  object_id: z.string().nullable(),
  created: z.string(),
  received_at: z.string(),
  processed_at: z.string().nullable(),
  attempts: z.number().int(),
  last_error: z.string().nullable(),
});
export type StripeEventResponse = z.infer<typeof stripeEventResponse>;

export function registerListStripeEventsRoute(app: App, context: AppContext) {
  app.get(
    '/v1/stripe/events',
    {
      schema: {
        tags: ['billing'],
        summary:
          'Stripe events received, newest first (operator): filter status=failed to see what is failing',
        querystring: listStripeEventsQuery,
        response: {
          200: z.object({
            data: z.array(stripeEventResponse),
            has_more: z.boolean(),
            next_cursor: z.string().nullable(),
          }),
          ...commonErrors,
          403: errorResponse,
        },
      },
    },
    async (request) => {
      // An operator's list that may lag: on the read replica when there is one.
      const { rows, hasMore } = await context.reads.read((db) =>
        listStripeEvents(db, {
          status: request.query.status,
          type: request.query.type,
          limit: request.query.limit,
          startingAfter: request.query.starting_after,
        }),
      );
      return {
        data: rows.map((row) => ({
          id: row.id,
          type: row.type,
          status: row.status,
          organization_id: row.organizationId,
          object_id: row.objectId,
          created: iso(row.created),
          received_at: iso(row.receivedAt),
          processed_at: isoOrNull(row.processedAt),
          attempts: row.attempts,
          last_error: row.lastError,
        })),
        has_more: hasMore,
        next_cursor: hasMore ? (rows.at(-1)?.id ?? null) : null,
      };
    },
  );
}
