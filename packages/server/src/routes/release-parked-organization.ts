import type { App, AppContext } from '../http/context.js';
import { requestActor } from '../http/request-actor.js';
import { commonErrors, errorResponse, organizationParams } from '../http/schemas.js';
import { releaseParkedOrganization } from '../invariants/release-organization.js';
import { parkedOrganizationResponse, parkedOrganizationView } from './parked-schemas.js';

export function registerReleaseParkedOrganizationRoute(app: App, context: AppContext) {
  app.delete(
    '/v1/admin/parked/:organizationId',
    {
      schema: {
        tags: ['operations'],
        summary:
          'Clear a parked organization (operator), once its ledger or counters are put right: its Stripe calls resume',
        params: organizationParams,
        response: { 200: parkedOrganizationResponse, ...commonErrors, 403: errorResponse },
      },
    },
    async (request) =>
      parkedOrganizationView(
        await releaseParkedOrganization(
          context.db,
          request.params.organizationId,
          requestActor(request, context),
        ),
      ),
  );
}
