import { z } from 'zod';
import type { App, AppContext } from '../http/context.js';
import { requestActor } from '../http/request-actor.js';
import { commonErrors, hostId } from '../http/schemas.js';
import { removeMember } from '../members/service.js';

export function registerRemoveMemberRoute(app: App, context: AppContext) {
  app.delete(
    '/v1/organizations/:organizationId/users/:userId',
    {
      schema: {
        tags: ['users'],
        summary: 'Remove a user from an organization, freeing a seat',
        params: z.strictObject({ organizationId: hostId, userId: hostId }),
        response: { 204: z.null(), ...commonErrors },
      },
    },
    async (request, reply) => {
      await removeMember(
        context.db,
        request.params.organizationId,
        request.params.userId,
        requestActor(request, context),
      );
      return reply.status(204).send(null);
    },
  );
}
