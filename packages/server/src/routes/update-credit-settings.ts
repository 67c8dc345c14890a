import { z } from 'zod';
import { updateCreditSettings } from '../credits/index.js';
import type { App, AppContext } from '../http/context.js';
import { requestActor } from '../http/request-actor.js';
import { commonErrors, organizationParams } from '../http/schemas.js';

export const updateCreditSettingsBody = z.strictObject({
  low_balance_threshold: z
    .number()
    .int()
    .min(0)
    .nullable()
    .describe('Queue a notification when the balance falls below this; null: the catalog default'),
});
export type UpdateCreditSettingsBody = z.infer<typeof updateCreditSettingsBody>;

export const creditSettingsResponse = z.object({
  low_balance_threshold: z.string(),
  low_balance_threshold_is_default: z.boolean(),
});
export type CreditSettingsResponse = z.infer<typeof creditSettingsResponse>;

export function registerUpdateCreditSettingsRoute(app: App, context: AppContext) {
  app.patch(
    '/v1/organizations/:organizationId/credits/settings',
    {
      schema: {
        tags: ['credits'],
        summary: "Set an organization's low-balance threshold",
        params: organizationParams,
        body: updateCreditSettingsBody,
        response: { 200: creditSettingsResponse, ...commonErrors },
      },
    },
    async (request) =>
      updateCreditSettings(context.db, context.catalog, {
        organization_id: request.params.organizationId,
        low_balance_threshold: request.body.low_balance_threshold,
        now: context.now(),
        actor: requestActor(request, context).actor,
      }),
  );
}
