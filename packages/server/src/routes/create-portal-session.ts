import { z } from 'zod';
import { createPortalSession } from '../billing/portal.js';
import type { App, AppContext } from '../http/context.js';
import { requestContext } from '../http/request-database.js';
import { commonErrors, errorResponse, organizationParams } from '../http/schemas.js';
import { redirectUrl } from '../http/urls.js';

export const createPortalBody = z.strictObject({
  return_url: redirectUrl.optional().describe('Where the portal links back to; default the billing page'),
});
export type CreatePortalBody = z.infer<typeof createPortalBody>;

export const portalResponse = z.object({ url: z.string() });
export type PortalResponse = z.infer<typeof portalResponse>;

export function registerCreatePortalSessionRoute(app: App, context: AppContext) {
  app.post(
    '/v1/organizations/:organizationId/portal',
    {
      config: { auth: 'organization', limit: 'billing_sessions' },
      schema: {
        tags: ['billing'],
        summary: 'Open the Stripe Customer Portal for the organization',
        params: organizationParams,
        body: createPortalBody.optional(),
        response: { 201: portalResponse, ...commonErrors, 502: errorResponse, 503: errorResponse },
      },
    },
    async (request, reply) => {
      const organizationId = request.params.organizationId;
      const returnUrl =
        request.body?.return_url ??
        `${context.publicUrl}/billing?organization=${encodeURIComponent(organizationId)}`;
      return reply
        .status(201)
        .send(await createPortalSession(requestContext(request, context), organizationId, returnUrl));
    },
  );
}
