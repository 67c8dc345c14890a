import type { App, AppContext } from '../http/context.js';
import { requestDb } from '../http/request-database.js';
import { commonErrors, listEnvelope, organizationParams, paginationQuery } from '../http/schemas.js';
import { listMembers } from '../members/service.js';
import { memberResponse, toMemberResponse } from './add-member.js';

export function registerListMembersRoute(app: App, context: AppContext) {
  app.get(
    '/v1/organizations/:organizationId/users',
    {
      config: { auth: 'organization' },
      schema: {
        tags: ['users'],
        summary: "List an organization's users",
        params: organizationParams,
        querystring: paginationQuery,
        response: { 200: listEnvelope(memberResponse), ...commonErrors },
      },
    },
    async (request) => {
      const { organizationId } = request.params;
      const { members, hasMore } = await listMembers(
        requestDb(request, context),
        organizationId,
        request.query.limit,
        request.query.starting_after,
      );
      return {
        data: members.map((member) => toMemberResponse(organizationId, member)),
        has_more: hasMore,
        next_cursor: hasMore ? (members.at(-1)?.userId ?? null) : null,
      };
    },
  );
}
