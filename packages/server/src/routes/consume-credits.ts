import { z } from 'zod';
import { consumeCredits } from '../credits/index.js';
import type { App, AppContext } from '../http/context.js';
import { requestActor } from '../http/request-actor.js';
import { commonErrors, hostId } from '../http/schemas.js';
import { creditAmount, decimalInput, idempotencyKey } from './credit-schemas.js';

export const consumeCreditsBody = z.strictObject({
  organization_id: hostId,
  event_name: z.string().min(1).max(63).describe('A credit event of the catalog, such as ai_inference'),
  quantity: decimalInput.optional().describe('Default 1; the cost is the event’s credits × quantity'),
  project_id: hostId.optional(),
  user_id: hostId.optional(),
  idempotency_key: idempotencyKey,
});
export type ConsumeCreditsBody = z.infer<typeof consumeCreditsBody>;

export const consumeCreditsResponse = z.union([
  z.object({
    allowed: z.literal(true),
    cost: creditAmount,
    balance: creditAmount,
    debited: z.array(z.object({ lot: z.string(), amount: creditAmount })),
  }),
  z.object({
    allowed: z.literal(false),
    code: z.literal('insufficient_credits'),
    cost: creditAmount,
    balance: creditAmount,
  }),
]);
export type ConsumeCreditsResponse = z.infer<typeof consumeCreditsResponse>;

export function registerConsumeCreditsRoute(app: App, context: AppContext) {
  app.post(
    '/v1/credits/consume',
    {
      schema: {
        tags: ['credits'],
        summary: 'Spend credits for a credit event; all or nothing, idempotent by idempotency_key',
        body: consumeCreditsBody,
        response: { 200: consumeCreditsResponse, ...commonErrors },
      },
    },
    async (request) =>
      consumeCredits(context.db, context.catalog, {
        ...request.body,
        now: context.now(),
        actor: requestActor(request, context).actor,
      }),
  );
}
