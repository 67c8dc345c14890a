import { z } from 'zod';
import { readCreditBalance } from '../credits/index.js';
import type { App, AppContext } from '../http/context.js';
import { requestDb } from '../http/request-database.js';
import { commonErrors, organizationParams } from '../http/schemas.js';
import { creditAmount, walletQuery } from './credit-schemas.js';

export const creditBalanceResponse = z.object({
  organization_id: z.string(),
  user_id: z.string().nullable(),
  balance: creditAmount,
  by_source: z.record(z.string(), creditAmount),
  lots: z.array(
    z.object({
      id: z.string(),
      source: z.string(),
      amount: creditAmount,
      remaining: creditAmount,
      expires_at: z.string().nullable(),
      granted_at: z.string(),
      priority: z.number(),
    }),
  ),
  expiring_soon: z.array(z.object({ lot: z.string(), amount: creditAmount, expires_at: z.string() })),
});
export type CreditBalanceResponse = z.infer<typeof creditBalanceResponse>;

export function registerGetCreditsRoute(app: App, context: AppContext) {
  app.get(
    '/v1/organizations/:organizationId/credits',
    {
      config: { auth: 'organization' },
      schema: {
        tags: ['credits'],
        summary:
          'Credit balance with its lots (in spending order), a breakdown by source and what expires within 7 days',
        params: organizationParams,
        querystring: walletQuery,
        response: { 200: creditBalanceResponse, ...commonErrors },
      },
    },
    async (request) =>
      readCreditBalance(
        requestDb(request, context),
        { organizationId: request.params.organizationId, userId: request.query.user_id ?? null },
        context.now(),
        context.catalog.definition.credits.precedence,
      ),
  );
}
