import { z } from 'zod';
import type { App, AppContext } from '../http/context.js';
import { requestActor } from '../http/request-actor.js';
import { commonErrors, errorResponse, organizationParams } from '../http/schemas.js';
import { migratePlan } from '../subscriptions/migrate-plan.js';

export const migrateSubscriptionBody = z.strictObject({
  plan: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,62}$/, 'must be a plan code: lower snake_case, at most 63 characters')
    .optional()
    .describe(
      'A catalog plan; by default the current version of the organization’s plan, or the default plan if it was retired',
    ),
  interval: z.enum(['month', 'year']).optional().describe('By default the subscription’s interval'),
});

export const migrateSubscriptionResponse = z.object({
  status: z
    .enum(['migrated', 'pending'])
    .describe('pending: the Stripe subscription was changed and its webhook moves the organization'),
  organization_id: z.string(),
  from_plan: z.string(),
  plan: z.string(),
  interval: z.enum(['month', 'year']),
  source: z.enum(['default', 'manual', 'stripe']),
  stripe_subscription_id: z.string().nullable(),
  stripe_price_id: z.string().nullable(),
});

export function registerMigrateSubscriptionRoute(app: App, context: AppContext) {
  app.post(
    '/v1/organizations/:organizationId/subscription/migrate',
    {
      schema: {
        tags: ['subscriptions'],
        summary: 'Move an organization off a retired plan (or an old plan version) to a catalog plan',
        params: organizationParams,
        body: migrateSubscriptionBody,
        response: {
          200: migrateSubscriptionResponse,
          202: migrateSubscriptionResponse,
          ...commonErrors,
          403: errorResponse,
          502: errorResponse,
          503: errorResponse,
        },
      },
    },
    async (request, reply) => {
      const organizationId = request.params.organizationId;
      const outcome = await migratePlan(
        context,
        { organizationId, plan: request.body.plan, interval: request.body.interval },
        requestActor(request, context),
      );
      reply.code(outcome.status === 'pending' ? 202 : 200);
      return {
        status: outcome.status,
        organization_id: organizationId,
        from_plan: outcome.fromPlan,
        plan: outcome.plan,
        interval: outcome.interval,
        source: outcome.source,
        stripe_subscription_id: outcome.stripeSubscriptionId,
        stripe_price_id: outcome.stripePriceId,
      };
    },
  );
}
