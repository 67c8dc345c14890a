import { z } from 'zod';
import { listCreditTransactions } from '../credits/index.js';
import type { App, AppContext } from '../http/context.js';
import { requestDb } from '../http/request-database.js';
import { commonErrors, listEnvelope, organizationParams, paginationQuery } from '../http/schemas.js';
import { creditAmount, walletQuery } from './credit-schemas.js';

export const creditTransactionsQuery = paginationQuery.extend(walletQuery.shape);

export const creditTransaction = z.object({
  id: z.number(),
  kind: z.enum(['grant', 'debit', 'expiry', 'transfer_out', 'transfer_in', 'refund', 'adjustment']),
  amount: creditAmount.describe('Signed: positive into the wallet, negative out of it'),
  lot: z.string(),
  operation: z.string(),
  event_name: z.string().nullable(),
  project_id: z.string().nullable(),
  user_id: z.string().nullable(),
  counterparty: z.string().nullable(),
  note: z.string().nullable(),
  actor: z.string(),
  occurred_at: z.string(),
});
export const creditTransactionsResponse = listEnvelope(creditTransaction);
export type CreditTransactionsResponse = z.infer<typeof creditTransactionsResponse>;

export function registerListCreditTransactionsRoute(app: App, context: AppContext) {
  app.get(
    '/v1/organizations/:organizationId/credits/transactions',
    {
      config: { auth: 'organization' },
      schema: {
        tags: ['credits'],
        summary: 'The credit journal, newest first',
        params: organizationParams,
        querystring: creditTransactionsQuery,
        response: { 200: creditTransactionsResponse, ...commonErrors },
      },
    },
    async (request) => {
      const page = await listCreditTransactions(
        requestDb(request, context),
        { organizationId: request.params.organizationId, userId: request.query.user_id ?? null },
        { limit: request.query.limit, starting_after: request.query.starting_after },
      );
      return { ...page, data: page.data.map((entry) => ({ ...entry, kind: entry.kind as never })) };
    },
  );
}
