import { z } from 'zod';
import { changePlan } from '../billing/plan-changes.js';
import { AppError } from '../errors.js';
import type { App, AppContext } from '../http/context.js';
import { requestActor } from '../http/request-actor.js';
import { requestContext, requestDb } from '../http/request-database.js';
import { commonErrors, errorResponse, organizationParams } from '../http/schemas.js';
import { getOrganization, updateOrganization } from '../organizations/service.js';
import { subscriptionResponse, toSubscriptionResponse } from '../subscriptions/subscription-response.js';

export const changeSubscriptionBody = z.strictObject({
  plan: z.string().min(1).max(63),
  interval: z.enum(['month', 'year']).default('month'),
  source: z
    .enum(['stripe', 'manual'])
    .default('stripe')
    .describe('manual: an operator assigns the plan without payment (secret key only)'),
});
export type ChangeSubscriptionBody = z.input<typeof changeSubscriptionBody>;

export const changeSubscriptionResponse = z.object({
  subscription: subscriptionResponse,
  change: z.object({
    timing: z.enum(['now', 'period_end']),
    direction: z.string().describe('upgrade, downgrade, interval_change or manual'),
  }),
});
export type ChangeSubscriptionResponse = z.infer<typeof changeSubscriptionResponse>;

export function registerChangeSubscriptionRoute(app: App, context: AppContext) {
  app.put(
    '/v1/organizations/:organizationId/subscription',
    {
      config: { auth: 'organization' },
      schema: {
        tags: ['billing'],
        summary: 'Change the plan: upgrades now with proration, downgrades at the period end',
        params: organizationParams,
        body: changeSubscriptionBody,
        response: {
          200: changeSubscriptionResponse,
          ...commonErrors,
          403: errorResponse,
          502: errorResponse,
          503: errorResponse,
        },
      },
    },
    async (request) => {
      const { organizationId } = request.params;
      const actor = requestActor(request, context);
      const { plan, interval, source } = request.body;
      if (source === 'manual') {
        if (request.principal.kind !== 'secret_key') {
          throw new AppError('forbidden', 403, 'only a secret key may assign a plan without payment');
        }
        const organization = await updateOrganization(
          requestDb(request, context),
          context.catalog,
          organizationId,
          { plan, interval },
          actor,
        );
        context.metering.checks.invalidateBilling([organizationId]);
        return {
          subscription: toSubscriptionResponse(organization, context.catalog.defaultPlanCode),
          change: { timing: 'now' as const, direction: 'manual' },
        };
      }
      const change = await changePlan(
        requestContext(request, context),
        organizationId,
        { plan, interval },
        actor.actor,
      );
      const organization = await getOrganization(requestDb(request, context), organizationId);
      return { subscription: toSubscriptionResponse(organization, context.catalog.defaultPlanCode), change };
    },
  );
}
