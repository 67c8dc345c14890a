import { z } from 'zod';
import type { App, AppContext } from '../http/context.js';
import { commonErrors } from '../http/schemas.js';

export const plansResponse = z.object({
  catalog_version: z.string(),
  catalog_hash: z.string(),
  currency: z.string(),
  default_plan: z.string(),
  features: z.record(z.string(), z.unknown()),
  plans: z.array(z.object({ code: z.string() }).loose()),
  credit_packs: z.array(z.object({ code: z.string() }).loose()),
  credit_events: z.array(z.object({ code: z.string() }).loose()),
});
export type PlansResponse = z.infer<typeof plansResponse>;

export function registerListPlansRoute(app: App, context: AppContext) {
  const { definition } = context.catalog;
  // The catalog is immutable while the server runs, so the answer is built once.
  const body: PlansResponse = {
    catalog_version: context.catalog.version,
    catalog_hash: context.catalog.hash,
    currency: context.catalog.currency,
    default_plan: context.catalog.defaultPlanCode,
    features: definition.features,
    plans: context.catalog.plans(),
    credit_packs: Object.entries(definition.credit_packs).map(([code, pack]) => ({ code, ...pack })),
    credit_events: Object.entries(definition.credit_events).map(([code, event]) => ({ code, ...event })),
  };
  app.get(
    '/v1/plans',
    {
      config: { auth: 'organization' },
      schema: {
        tags: ['catalog'],
        summary: 'The plan catalog: plans, features, credit packs and credit events',
        response: { 200: plansResponse, ...commonErrors },
      },
    },
    async () => body,
  );
}
