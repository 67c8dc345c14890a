import { z } from 'zod';
import { upcomingInvoice } from '../billing/invoices.js';
import { notFound } from '../errors.js';
import type { App, AppContext } from '../http/context.js';
import { requestContext, requestDb } from '../http/request-database.js';
import { commonErrors, errorResponse, hostId } from '../http/schemas.js';
import { invoiceResponse, toInvoiceResponse } from '../invoices/invoice-response.js';
import { getInvoice } from '../invoices/invoice-rows.js';
import { getOrganization } from '../organizations/service.js';

export const invoiceParams = z.strictObject({
  organizationId: hostId,
  invoiceId: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[A-Za-z0-9_]+$/, 'must be a Stripe invoice id'),
});

export function registerGetInvoiceRoutes(app: App, context: AppContext) {
  // Registered before `:invoiceId`, which would otherwise take "upcoming" for an id.
  app.get(
    '/v1/organizations/:organizationId/invoices/upcoming',
    {
      config: { auth: 'organization' },
      schema: {
        tags: ['billing'],
        summary: "Stripe's preview of the next invoice (usage so far, prorations, tax)",
        params: z.strictObject({ organizationId: hostId }),
        response: { 200: invoiceResponse, ...commonErrors, 502: errorResponse, 503: errorResponse },
      },
    },
    async (request) =>
      toInvoiceResponse(
        await upcomingInvoice(requestContext(request, context), request.params.organizationId),
      ),
  );
  app.get(
    '/v1/organizations/:organizationId/invoices/:invoiceId',
    {
      config: { auth: 'organization' },
      schema: {
        tags: ['billing'],
        summary: 'One invoice with its lines, hosted page and PDF links',
        params: invoiceParams,
        response: { 200: invoiceResponse, ...commonErrors },
      },
    },
    async (request) => {
      const { organizationId, invoiceId } = request.params;
      await getOrganization(requestDb(request, context), organizationId);
      const row = await getInvoice(requestDb(request, context), organizationId, invoiceId);
      if (!row) throw notFound('invoice', invoiceId);
      return toInvoiceResponse(row);
    },
  );
}
