import { z } from 'zod';
import type { App, AppContext } from '../http/context.js';
import { requestActor } from '../http/request-actor.js';
import { commonErrors, metadata, organizationParams } from '../http/schemas.js';
import { billingAddress, taxId } from '../organizations/billing-identity.js';
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
    billing_address: billingAddress.nullable().optional().describe('Kept in sync with the Stripe customer'),
    tax_exempt: z.enum(['none', 'exempt', 'reverse']).optional(),
    tax_ids: z.array(taxId).max(10).optional().describe('Replaces the whole list'),
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
          billingAddress: body.billing_address,
          taxExempt: body.tax_exempt,
          taxIds: body.tax_ids,
        },
        requestActor(request, context),
      );
      context.metering.checks.invalidateBilling([organization.id]);
      return toOrganizationResponse(organization);
    },
  );
}
