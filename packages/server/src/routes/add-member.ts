import { z } from 'zod';
import type { App, AppContext } from '../http/context.js';
import { requestActor } from '../http/request-actor.js';
import { commonErrors, hostId, iso, organizationParams } from '../http/schemas.js';
import { addMember, type Member } from '../members/service.js';

export const addMemberBody = z.strictObject({
  id: hostId.describe("The host app's own user id; the user is created on first sight"),
  email: z.email().max(255).nullable().optional(),
  name: z.string().min(1).max(255).nullable().optional(),
  role: z.string().min(1).max(64).optional().describe('Free-form role, default "member"'),
});
export type AddMemberBody = z.infer<typeof addMemberBody>;

export const memberResponse = z.object({
  id: z.string(),
  organization_id: z.string(),
  email: z.string().nullable(),
  name: z.string().nullable(),
  role: z.string(),
  joined_at: z.string(),
});
export type MemberResponse = z.infer<typeof memberResponse>;

export const toMemberResponse = (organizationId: string, member: Member): MemberResponse => ({
  id: member.userId,
  organization_id: organizationId,
  email: member.email,
  name: member.name,
  role: member.role,
  joined_at: iso(member.createdAt),
});

export function registerAddMemberRoute(app: App, context: AppContext) {
  app.post(
    '/v1/organizations/:organizationId/users',
    {
      schema: {
        tags: ['users'],
        summary: 'Add a user to an organization (a seat); idempotent for an existing member',
        params: organizationParams,
        body: addMemberBody,
        response: { 201: memberResponse, ...commonErrors },
      },
    },
    async (request, reply) => {
      const { organizationId } = request.params;
      const member = await addMember(
        context.db,
        context.catalog,
        organizationId,
        {
          userId: request.body.id,
          email: request.body.email,
          name: request.body.name,
          role: request.body.role,
        },
        requestActor(request, context),
      );
      return reply.status(201).send(toMemberResponse(organizationId, member));
    },
  );
}
