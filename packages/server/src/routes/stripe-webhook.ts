import type Stripe from 'stripe';
import { z } from 'zod';
import { processStripeEvent } from '../billing/process-stripe-event.js';
import { AppError } from '../errors.js';
import type { App, AppContext } from '../http/context.js';
import { errorResponse } from '../http/schemas.js';
import { requireStripe } from '../stripe/stripe-errors.js';

/** Stripe's own window: a signature older than five minutes is refused as a possible replay. */
const SIGNATURE_TOLERANCE_SECONDS = 300;

export const stripeWebhookResponse = z.object({
  received: z.literal(true),
  event: z.string(),
  outcome: z.enum(['processed', 'ignored', 'duplicate']),
});
export type StripeWebhookResponse = z.infer<typeof stripeWebhookResponse>;

export function registerStripeWebhookRoute(app: App, context: AppContext) {
  // Its own scope: the signature covers the exact bytes sent, so this route keeps the raw body.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 1_048_576 }, (_request, body, done) =>
      done(null, body),
    );
    scope.post(
      '/v1/webhooks/stripe',
      {
        config: { auth: 'public' },
        schema: {
          tags: ['billing'],
          summary: 'Stripe webhook endpoint (signed by Stripe; no API key)',
          response: {
            200: stripeWebhookResponse,
            400: errorResponse,
            500: errorResponse,
            503: errorResponse,
          },
        },
      },
      async (request) => {
        const gateway = requireStripe(context);
        if (!gateway.webhookSecret) {
          throw new AppError('webhook_secret_missing', 503, 'STRIPE_WEBHOOK_SECRET is not configured');
        }
        const signature = request.headers['stripe-signature'];
        if (typeof signature !== 'string' || !Buffer.isBuffer(request.body)) {
          throw new AppError('invalid_signature', 400, 'missing Stripe-Signature header or body');
        }
        let event: Stripe.Event;
        try {
          event = gateway.stripe.webhooks.constructEvent(
            request.body,
            signature,
            gateway.webhookSecret,
            SIGNATURE_TOLERANCE_SECONDS,
          );
        } catch {
          throw new AppError('invalid_signature', 400, 'the Stripe signature does not match, or is too old');
        }
        const result = await processStripeEvent(context, gateway, event);
        return { received: true as const, event: event.id, outcome: result.outcome };
      },
    );
  });
}
