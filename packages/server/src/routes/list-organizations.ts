import type { App, AppContext } from '../http/context.js';
import { commonErrors, listEnvelope, paginationQuery } from '../http/schemas.js';
import { organizationResponse, toOrganizationResponse } from '../organizations/organization-response.js';
import { listOrganizations } from '../organizations/service.js';

export function registerListOrganizationsRoute(app: App, context: AppContext) {
  app.get(
    '/v1/organizations',
    {
      schema: {
        tags: ['organizations'],
        summary: 'List organizations, ordered by id',
        querystring: paginationQuery,
        response: { 200: listEnvelope(organizationResponse), ...commonErrors },
      },
    },
    async (request) => {
      // An operator's list that may lag: on the read replica when there is one.
      const { organizations, hasMore } = await context.reads.read((db) =>
        listOrganizations(db, request.query.limit, request.query.starting_after),
      );
      return {
        data: organizations.map(toOrganizationResponse),
        has_more: hasMore,
        next_cursor: hasMore ? (organizations.at(-1)?.id ?? null) : null,
      };
    },
  );
}
