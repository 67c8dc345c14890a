import { z } from 'zod';
import type { App, AppContext } from '../http/context.js';
import { readThatMayLag } from '../http/request-database.js';
import { commonErrors, organizationParams } from '../http/schemas.js';
import { invoiceResponse, toInvoiceResponse } from '../invoices/invoice-response.js';
import { listInvoices } from '../invoices/invoice-rows.js';
import { getOrganization } from '../organizations/service.js';

export const listInvoicesQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  starting_after: z.string().min(1).max(255).optional().describe('The last invoice id of the previous page'),
  status: z.enum(['draft', 'open', 'paid', 'uncollectible', 'void']).optional(),
});

export const invoiceListResponse = z.object({
  data: z.array(invoiceResponse),
  has_more: z.boolean(),
  next_cursor: z.string().nullable(),
});
export type InvoiceListResponse = z.infer<typeof invoiceListResponse>;

export function registerListInvoicesRoute(app: App, context: AppContext) {
  app.get(
    '/v1/organizations/:organizationId/invoices',
    {
      config: { auth: 'organization' },
      schema: {
        tags: ['billing'],
        summary: "The organization's invoices, newest first (mirrored from Stripe)",
        params: organizationParams,
        querystring: listInvoicesQuery,
        response: { 200: invoiceListResponse, ...commonErrors },
      },
    },
    async (request) => {
      const { organizationId } = request.params;
      // A mirror of Stripe's invoices, itself behind Stripe: it may lag, so it is read on the replica
      // (sessions: their own view on the primary).
      const { rows, hasMore } = await readThatMayLag(request, context, async (db) => {
        await getOrganization(db, organizationId);
        return listInvoices(db, organizationId, {
          limit: request.query.limit,
          startingAfter: request.query.starting_after,
          status: request.query.status,
        });
      });
      return {
        data: rows.map(toInvoiceResponse),
        has_more: hasMore,
        next_cursor: hasMore ? (rows.at(-1)?.id ?? null) : null,
      };
    },
  );
}
