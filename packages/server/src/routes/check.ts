import { isDecimalText, toDecimal } from '@tollgate/core';
import { z } from 'zod';
import type { App, AppContext } from '../http/context.js';
import { commonErrors, hostId } from '../http/schemas.js';

const quantity = z
  .union([z.number(), z.string()])
  .refine((value) => {
    const text = String(value).trim();
    return isDecimalText(text) && !text.startsWith('-');
  }, 'must be a non-negative decimal number')
  .describe('Exact decimal ≥ 0 as a number or a string; default 1');

export const checkBody = z.strictObject({
  organization_id: hostId,
  feature: z.string().min(1).max(63),
  quantity: quantity.optional(),
  project_id: hostId.optional(),
  user_id: hostId.optional(),
  consume: z.boolean().default(false).describe('Record the quantity when allowed, atomically'),
  idempotency_key: z.string().min(1).max(255).optional().describe('Repeat it to get the first answer back'),
});
export type CheckBody = z.input<typeof checkBody>;

export const checkResponse = z.object({
  allowed: z.boolean(),
  feature: z.string(),
  limit: z.number().nullable().describe('Included quantity of the plan; null when unlimited or boolean'),
  used: z.number(),
  remaining: z.number().nullable(),
  cap: z.enum(['hard', 'soft']).nullable(),
  reason: z
    .enum(['limit_exceeded', 'feature_not_in_plan', 'subscription_inactive', 'trial_exhausted'])
    .optional(),
  upgrade_url: z.string().optional(),
});
export type CheckResponse = z.infer<typeof checkResponse>;

export function registerCheckRoute(app: App, context: AppContext) {
  app.post(
    '/v1/check',
    {
      schema: {
        tags: ['metering'],
        summary: 'May this organization use a feature now? Optionally consume it atomically',
        description: 'A denial is an answer (200, allowed: false), not an error.',
        body: checkBody,
        response: { 200: checkResponse, ...commonErrors },
      },
    },
    async (request) => {
      const body = request.body;
      return context.metering.checks.check(
        {
          organizationId: body.organization_id,
          feature: body.feature,
          quantity: toDecimal(body.quantity === undefined ? 1 : String(body.quantity).trim()),
          projectId: body.project_id,
          userId: body.user_id,
          consume: body.consume,
          idempotencyKey: body.idempotency_key,
        },
        context.now(),
      );
    },
  );
}
