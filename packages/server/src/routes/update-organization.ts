import { z } from 'zod';
import type { App, AppContext } from '../http/context.js';
import { requestActor } from '../http/request-actor.js';
import { commonErrors, metadata, organizationParams } from '../http/schemas.js';
import { organizationResponse, toOrganizationResponse } from '../organizations/organization-response.js';
import { updateOrganization } from '../organizations/service.js';

export const updateOrganizationBody = z
  .strictObject({
    name: z.string().min(1).max(255).optional(),
    email: z.email().max(255).nullable().optional(),
    trial_organization: z.boolean().optional(),
    metadata: metadata.optional().describe('Replaces the whole metadata object'),
    plan: z.string().min(1).optional().describe('Move the organization to this plan without payment'),
    interval: z.enum(['month', 'year']).optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'name at least one field to change');
export type UpdateOrganizationBody = z.infer<typeof updateOrganizationBody>;

export function registerUpdateOrganizationRoute(app: App, context: AppContext) {
  app.patch(
    '/v1/organizations/:organizationId',
    {
      schema: {
        tags: ['organizations'],
        summary: 'Update an organization',
        params: organizationParams,
        body: updateOrganizationBody,
        response: { 200: organizationResponse, ...commonErrors },
      },
    },
    async (request) => {
      const body = request.body;
      const organization = await updateOrganization(
        context.db,
        context.catalog,
        request.params.organizationId,
        {
          name: body.name,
          email: body.email,
          trialOrganization: body.trial_organization,
          metadata: body.metadata,
          plan: body.plan,
          interval: body.interval,
        },
        requestActor(request, context),
      );
      context.metering.checks.invalidateBilling([organization.id]);
      return toOrganizationResponse(organization);
    },
  );
}
