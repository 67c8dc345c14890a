import { z } from 'zod';
import { backfillInvoices } from '../billing/invoices.js';
import type { App, AppContext } from '../http/context.js';
import { commonErrors, errorResponse, organizationParams } from '../http/schemas.js';

export const syncInvoicesResponse = z.object({ invoices: z.number().int() });

export function registerSyncInvoicesRoute(app: App, context: AppContext) {
  app.post(
    '/v1/organizations/:organizationId/invoices/sync',
    {
      schema: {
        tags: ['billing'],
        summary: 'Backfill the invoice mirror from Stripe (operator)',
        params: organizationParams,
        response: {
          200: syncInvoicesResponse,
          ...commonErrors,
          403: errorResponse,
          502: errorResponse,
          503: errorResponse,
        },
      },
    },
    async (request) => backfillInvoices(context, request.params.organizationId),
  );
}
