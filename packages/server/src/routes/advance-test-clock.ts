import { z } from 'zod';
import { advanceTestClock } from '../billing/test-clock.js';
import type { App, AppContext } from '../http/context.js';
import { commonErrors, errorResponse, organizationParams } from '../http/schemas.js';

export const advanceTestClockBody = z.strictObject({
  days: z.number().positive().max(730).describe('How far to move the organization’s Stripe test clock'),
});
export type AdvanceTestClockBody = z.infer<typeof advanceTestClockBody>;

export const advanceTestClockResponse = z.object({
  test_clock: z.string(),
  frozen_time: z.string().describe("Stripe's time for this organization now"),
  status: z.string(),
});

export function registerAdvanceTestClockRoute(app: App, context: AppContext) {
  app.post(
    '/v1/sandbox/organizations/:organizationId/advance',
    {
      schema: {
        tags: ['billing'],
        summary: 'Test mode: advance the organization’s Stripe test clock (404 with live keys)',
        params: organizationParams,
        body: advanceTestClockBody,
        response: {
          200: advanceTestClockResponse,
          ...commonErrors,
          403: errorResponse,
          502: errorResponse,
          503: errorResponse,
        },
      },
    },
    async (request) => advanceTestClock(context, request.params.organizationId, request.body.days),
  );
}
