import { z } from 'zod';
import { previewPlanChange } from '../billing/plan-changes.js';
import type { App, AppContext } from '../http/context.js';
import { requestContext } from '../http/request-database.js';
import { commonErrors, errorResponse, organizationParams } from '../http/schemas.js';

export const previewSubscriptionBody = z.strictObject({
  plan: z.string().min(1).max(63),
  interval: z.enum(['month', 'year']).default('month'),
});
export type PreviewSubscriptionBody = z.input<typeof previewSubscriptionBody>;

export const previewSubscriptionResponse = z.object({
  timing: z.enum(['now', 'period_end']).describe('now: invoiced at once; period_end: on the renewal invoice'),
  amount_due: z.number().int(),
  currency: z.string(),
  subtotal: z.number().int(),
  tax: z.number().int(),
  total: z.number().int(),
  lines: z.array(
    z.object({
      description: z.string().nullable(),
      amount: z.number().int(),
      proration: z.boolean(),
      period_start: z.string(),
      period_end: z.string(),
    }),
  ),
});
export type PreviewSubscriptionResponse = z.infer<typeof previewSubscriptionResponse>;

export function registerPreviewSubscriptionChangeRoute(app: App, context: AppContext) {
  app.post(
    '/v1/organizations/:organizationId/subscription/preview',
    {
      config: { auth: 'organization' },
      schema: {
        tags: ['billing'],
        summary: "Stripe's prorated preview of a plan change (amounts in minor units)",
        params: organizationParams,
        body: previewSubscriptionBody,
        response: {
          200: previewSubscriptionResponse,
          ...commonErrors,
          502: errorResponse,
          503: errorResponse,
        },
      },
    },
    async (request) =>
      previewPlanChange(requestContext(request, context), request.params.organizationId, request.body),
  );
}
