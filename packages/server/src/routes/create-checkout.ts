import { z } from 'zod';
import { createCheckout } from '../billing/checkout.js';
import type { App, AppContext } from '../http/context.js';
import { requestContext } from '../http/request-database.js';
import { commonErrors, errorResponse, organizationParams } from '../http/schemas.js';
import { redirectUrl } from '../http/urls.js';

export const createCheckoutBody = z
  .strictObject({
    plan: z.string().min(1).max(63).optional().describe('A catalog plan: subscription mode'),
    interval: z.enum(['month', 'year']).optional().describe('With plan; default month'),
    credit_pack: z.string().min(1).max(63).optional().describe('A catalog credit pack: payment mode'),
    quantity: z.number().int().min(1).max(100).optional().describe('With credit_pack; default 1'),
    success_url: redirectUrl.optional(),
    cancel_url: redirectUrl.optional(),
  })
  .superRefine((body, issues) => {
    if ((body.plan === undefined) === (body.credit_pack === undefined)) {
      issues.addIssue({ code: 'custom', path: ['plan'], message: 'name either plan or credit_pack' });
    }
    if (body.plan !== undefined && body.quantity !== undefined) {
      issues.addIssue({ code: 'custom', path: ['quantity'], message: 'quantity goes with credit_pack' });
    }
    if (body.credit_pack !== undefined && body.interval !== undefined) {
      issues.addIssue({ code: 'custom', path: ['interval'], message: 'interval goes with plan' });
    }
  });
export type CreateCheckoutBody = z.infer<typeof createCheckoutBody>;

export const checkoutResponse = z.object({
  id: z.string(),
  url: z.string().describe('Send the customer here; the outcome arrives by webhook'),
  expires_at: z.string(),
});
export type CheckoutResponse = z.infer<typeof checkoutResponse>;

export function registerCreateCheckoutRoute(app: App, context: AppContext) {
  app.post(
    '/v1/organizations/:organizationId/checkout',
    {
      config: { auth: 'organization', limit: 'billing_sessions' },
      schema: {
        tags: ['billing'],
        summary: 'Start a Stripe Checkout for a plan or a credit pack',
        params: organizationParams,
        body: createCheckoutBody,
        response: { 201: checkoutResponse, ...commonErrors, 502: errorResponse, 503: errorResponse },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const back = `${context.publicUrl}/billing?organization=${encodeURIComponent(request.params.organizationId)}`;
      const urls = {
        successUrl: body.success_url ?? `${back}&checkout=success`,
        cancelUrl: body.cancel_url ?? `${back}&checkout=canceled`,
      };
      const result = await createCheckout(
        requestContext(request, context),
        request.params.organizationId,
        body.credit_pack !== undefined
          ? { kind: 'credit_pack', creditPack: body.credit_pack, quantity: body.quantity ?? 1, ...urls }
          : { kind: 'subscription', plan: body.plan as string, interval: body.interval ?? 'month', ...urls },
      );
      return reply.status(201).send(result);
    },
  );
}
