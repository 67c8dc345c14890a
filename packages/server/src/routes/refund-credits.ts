import { z } from 'zod';
import { refundConsume } from '../credits/index.js';
import type { App, AppContext } from '../http/context.js';
import { requestActor } from '../http/request-actor.js';
import { commonErrors, hostId } from '../http/schemas.js';
import { creditAmount, idempotencyKey } from './credit-schemas.js';

export const refundCreditsBody = z.strictObject({
  organization_id: hostId,
  consume_idempotency_key: idempotencyKey.describe('The idempotency_key of the consume to give back'),
  note: z.string().max(500).optional(),
});
export type RefundCreditsBody = z.infer<typeof refundCreditsBody>;

export const refundCreditsResponse = z.object({
  refunded: creditAmount,
  balance: creditAmount,
  credited: z.array(z.object({ lot: z.string(), amount: creditAmount })),
});
export type RefundCreditsResponse = z.infer<typeof refundCreditsResponse>;

export function registerRefundCreditsRoute(app: App, context: AppContext) {
  app.post(
    '/v1/credits/refund',
    {
      schema: {
        tags: ['credits'],
        summary: 'Give back what one consume debited, into the lots it came from; once per consume',
        body: refundCreditsBody,
        response: { 200: refundCreditsResponse, ...commonErrors },
      },
    },
    async (request) =>
      refundConsume(context.db, context.catalog, {
        ...request.body,
        now: context.now(),
        actor: requestActor(request, context).actor,
      }),
  );
}
