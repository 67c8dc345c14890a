import { z } from 'zod';
import { revokeOrganizationSessions } from '../auth/revoke-organization-sessions.js';
import type { App, AppContext } from '../http/context.js';
import { requestActor } from '../http/request-actor.js';
import { requestDb } from '../http/request-database.js';
import { commonErrors, organizationParams } from '../http/schemas.js';

export const revokeSessionsResponse = z.object({
  organization_id: z.string(),
  revoked_at: z.string().describe('Session tokens of this organization minted before now no longer work'),
});
export type RevokeSessionsResponse = z.infer<typeof revokeSessionsResponse>;

export function registerRevokeSessionsRoute(app: App, context: AppContext) {
  app.delete(
    '/v1/organizations/:organizationId/sessions',
    {
      // A session may sign its own organization out everywhere, itself included.
      config: { auth: 'organization' },
      schema: {
        tags: ['auth'],
        summary: 'Revoke every organization session token minted so far for this organization',
        params: organizationParams,
        response: { 200: revokeSessionsResponse, ...commonErrors },
      },
    },
    async (request) => {
      const actor = requestActor(request, context);
      await revokeOrganizationSessions(
        requestDb(request, context),
        context.auth.sessionRevocations,
        request.params.organizationId,
        actor,
      );
      return { organization_id: request.params.organizationId, revoked_at: actor.now.toISOString() };
    },
  );
}
