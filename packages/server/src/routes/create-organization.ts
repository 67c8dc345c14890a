import { z } from 'zod';
import type { App, AppContext } from '../http/context.js';
import { requestActor } from '../http/request-actor.js';
import { commonErrors, hostId, metadata } from '../http/schemas.js';
import { organizationResponse, toOrganizationResponse } from '../organizations/organization-response.js';
import { createOrganization } from '../organizations/service.js';

export const createOrganizationBody = z.strictObject({
  id: hostId.describe("The host app's own id for this organization"),
  name: z.string().min(1).max(255),
  email: z.email().max(255).nullable().optional(),
  plan: z.string().min(1).optional().describe('Assign a plan without payment (manual or invoiced deals)'),
  interval: z.enum(['month', 'year']).optional(),
  trial_organization: z
    .boolean()
    .optional()
    .describe('A public/trial organization: each user gets their own trial'),
  metadata: metadata.optional(),
});
export type CreateOrganizationBody = z.infer<typeof createOrganizationBody>;

export function registerCreateOrganizationRoute(app: App, context: AppContext) {
  app.post(
    '/v1/organizations',
    {
      schema: {
        tags: ['organizations'],
        summary: 'Create an organization (starts on the default plan unless `plan` is given)',
        body: createOrganizationBody,
        response: { 201: organizationResponse, ...commonErrors },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const organization = await createOrganization(
        context.db,
        context.catalog,
        {
          id: body.id,
          name: body.name,
          email: body.email,
          plan: body.plan,
          interval: body.interval,
          trialOrganization: body.trial_organization,
          metadata: body.metadata,
        },
        requestActor(request, context),
      );
      return reply.status(201).send(toOrganizationResponse(organization));
    },
  );
}
