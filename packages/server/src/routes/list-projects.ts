import type { App, AppContext } from '../http/context.js';
import { requestDb } from '../http/request-database.js';
import { commonErrors, listEnvelope, organizationParams, paginationQuery } from '../http/schemas.js';
import { listProjects } from '../projects/service.js';
import { projectResponse, toProjectResponse } from './create-project.js';

export function registerListProjectsRoute(app: App, context: AppContext) {
  app.get(
    '/v1/organizations/:organizationId/projects',
    {
      config: { auth: 'organization' },
      schema: {
        tags: ['projects'],
        summary: "List an organization's projects",
        params: organizationParams,
        querystring: paginationQuery,
        response: { 200: listEnvelope(projectResponse), ...commonErrors },
      },
    },
    async (request) => {
      const { projects, hasMore } = await listProjects(
        requestDb(request, context),
        request.params.organizationId,
        request.query.limit,
        request.query.starting_after,
      );
      return {
        data: projects.map(toProjectResponse),
        has_more: hasMore,
        next_cursor: hasMore ? (projects.at(-1)?.id ?? null) : null,
      };
    },
  );
}
