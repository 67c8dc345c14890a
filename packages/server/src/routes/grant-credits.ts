import { z } from 'zod';
import { grantCredits } from '../credits/index.js';
import type { App, AppContext } from '../http/context.js';
import { requestActor } from '../http/request-actor.js';
import { commonErrors, hostId, organizationParams } from '../http/schemas.js';
import { creditAmount, decimalInput, idempotencyKey } from './credit-schemas.js';

export const grantCreditsBody = z.strictObject({
  amount: decimalInput,
  source: z.enum(['purchased', 'subscription', 'promotional']),
  expires_at: z.iso.datetime({ offset: true }).optional().describe('Absent: the credits never expire'),
  priority: z.number().int().min(-1000).max(1000).optional().describe('Higher is spent first; default 0'),
  user_id: hostId.optional().describe("Grant into a user's reward wallet in the organization"),
  note: z.string().max(500).optional(),
  idempotency_key: idempotencyKey,
});
export type GrantCreditsBody = z.infer<typeof grantCreditsBody>;

export const grantCreditsResponse = z.object({
  lot: z.string(),
  amount: creditAmount,
  source: z.enum(['purchased', 'subscription', 'promotional']),
  expires_at: z.string().nullable(),
  balance: creditAmount,
});
export type GrantCreditsResponse = z.infer<typeof grantCreditsResponse>;

export function registerGrantCreditsRoute(app: App, context: AppContext) {
  app.post(
    '/v1/organizations/:organizationId/credits/grants',
    {
      schema: {
        tags: ['credits'],
        summary: 'Grant credits (operator): purchased, promotional or subscription',
        params: organizationParams,
        body: grantCreditsBody,
        response: { 201: grantCreditsResponse, ...commonErrors },
      },
    },
    async (request, reply) => {
      const { expires_at, ...body } = request.body;
      const result = await grantCredits(context.db, context.catalog, {
        ...body,
        organization_id: request.params.organizationId,
        expires_at: expires_at ? new Date(expires_at) : null,
        now: context.now(),
        actor: requestActor(request, context).actor,
      });
      return reply.status(201).send(result);
    },
  );
}
