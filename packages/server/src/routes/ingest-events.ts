import { z } from 'zod';
import type { App, AppContext } from '../http/context.js';
import { commonErrors, errorResponse } from '../http/schemas.js';
import { usageEventInput } from '../metering/ingest/validate-events.js';

export const ingestEventsBody = z.strictObject({
  events: z
    .array(z.unknown())
    .min(1)
    .max(1000)
    .describe(
      `1–1000 usage events, each validated on its own: ${JSON.stringify(Object.keys(usageEventInput.shape))}`,
    ),
});
export type IngestEventsBody = z.infer<typeof ingestEventsBody>;

export const ingestEventsResponse = z.object({
  accepted: z.number().int().describe('Events stored and counted for the first time'),
  duplicates: z.number().int().describe('Events whose id was already seen for their organization'),
  rejected: z.array(z.object({ index: z.number().int(), code: z.string(), message: z.string() })),
  credit_shortfalls: z
    .array(
      z.object({
        index: z.number().int(),
        event: z.string(),
        credits: z.string().describe('Credits the event costs'),
        balance: z.string().describe('The balance that could not pay them'),
      }),
    )
    .optional()
    .describe(
      'Credit events stored but not paid (nothing debited); each is also notified to the organization',
    ),
});
export type IngestEventsResponse = z.infer<typeof ingestEventsResponse>;

export function registerIngestEventsRoute(app: App, context: AppContext) {
  app.post(
    '/v1/events',
    {
      schema: {
        tags: ['metering'],
        summary: 'Ingest usage events, idempotently by event id',
        description:
          'Valid events are stored even when others in the batch are rejected. An event id already seen for its organization is counted once, forever.',
        body: ingestEventsBody,
        response: { 200: ingestEventsResponse, 413: errorResponse, ...commonErrors },
      },
    },
    async (request) => {
      const { events } = request.body;
      // In a worker (event-ingestion.ts) the events are stored from a copy: letting go of them here at
      // once makes them garbage of the next young collection rather than survivors copied along.
      (request as { body: unknown }).body = undefined;
      return context.metering.ingestion.ingest(events, context.now());
    },
  );
}
