import { z } from 'zod';
import { transferCredits } from '../credits/index.js';
import type { App, AppContext } from '../http/context.js';
import { requestActor } from '../http/request-actor.js';
import { commonErrors, hostId } from '../http/schemas.js';
import { creditAmount, decimalInput, idempotencyKey } from './credit-schemas.js';

export const transferCreditsBody = z
  .strictObject({
    from_organization_id: hostId.optional(),
    from_user_id: hostId.optional(),
    to_organization_id: hostId.optional(),
    to_user_id: hostId.optional(),
    amount: decimalInput,
    note: z.string().max(500).optional(),
    idempotency_key: idempotencyKey,
  })
  .refine((body) => body.from_organization_id !== undefined || body.from_user_id !== undefined, {
    message: 'name from_organization_id or from_user_id',
    path: ['from_organization_id'],
  })
  .refine((body) => body.to_organization_id !== undefined || body.to_user_id !== undefined, {
    message: 'name to_organization_id or to_user_id',
    path: ['to_organization_id'],
  });
export type TransferCreditsBody = z.infer<typeof transferCreditsBody>;

const party = z.object({ organization_id: z.string(), user_id: z.string().nullable() });

export const transferCreditsResponse = z.union([
  z.object({
    allowed: z.literal(true),
    transfer: z.string(),
    amount: creditAmount,
    from: party,
    to: party,
    balance: creditAmount.describe("The sender's balance afterwards"),
    received: z.array(z.object({ lot: z.string(), amount: creditAmount, expires_at: z.string().nullable() })),
  }),
  z.object({
    allowed: z.literal(false),
    code: z.literal('insufficient_transferable_credits'),
    amount: creditAmount,
    transferable: creditAmount,
  }),
  z.object({
    allowed: z.literal(false),
    code: z.literal('daily_transfer_limit_exceeded'),
    amount: creditAmount,
    remaining_today: creditAmount,
  }),
]);
export type TransferCreditsResponse = z.infer<typeof transferCreditsResponse>;

export function registerTransferCreditsRoute(app: App, context: AppContext) {
  app.post(
    '/v1/credits/transfer',
    {
      schema: {
        tags: ['credits'],
        summary: 'Give purchased or promotional credits to another organization or user',
        body: transferCreditsBody,
        response: { 200: transferCreditsResponse, ...commonErrors },
      },
    },
    async (request) =>
      transferCredits(context.db, context.catalog, {
        ...request.body,
        now: context.now(),
        actor: requestActor(request, context).actor,
      }),
  );
}
