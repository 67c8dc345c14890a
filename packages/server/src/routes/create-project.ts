import { z } from 'zod';
import type { App, AppContext } from '../http/context.js';
import { requestActor } from '../http/request-actor.js';
import { commonErrors, hostId, iso, metadata, organizationParams } from '../http/schemas.js';
import { createProject, type ProjectRow } from '../projects/service.js';

export const createProjectBody = z.strictObject({
  id: hostId.optional().describe("The host app's own id; generated when absent"),
  name: z.string().min(1).max(255),
  metadata: metadata.optional(),
});
export type CreateProjectBody = z.infer<typeof createProjectBody>;

export const projectResponse = z.object({
  id: z.string(),
  organization_id: z.string(),
  name: z.string(),
  metadata: z.record(z.string(), z.string()),
  created_at: z.string(),
});
export type ProjectResponse = z.infer<typeof projectResponse>;

export const toProjectResponse = (project: ProjectRow): ProjectResponse => ({
  id: project.id,
  organization_id: project.organizationId,
  name: project.name,
  metadata: project.metadata,
  created_at: iso(project.createdAt),
});

export function registerCreateProjectRoute(app: App, context: AppContext) {
  app.post(
    '/v1/organizations/:organizationId/projects',
    {
      schema: {
        tags: ['projects'],
        summary: 'Create a project in an organization',
        params: organizationParams,
        body: createProjectBody,
        response: { 201: projectResponse, ...commonErrors },
      },
    },
    async (request, reply) => {
      const project = await createProject(
        context.db,
        request.params.organizationId,
        request.body,
        requestActor(request, context),
      );
      return reply.status(201).send(toProjectResponse(project));
    },
  );
}
