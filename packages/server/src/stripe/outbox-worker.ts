import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../db/client.js';
import { startPeriodicRound } from '../jobs/periodic-round.js';
import { deliverStripeOutbox, type StripeCallHandler } from './outbox.js';
import type { StripeGateway } from './stripe-gateway.js';

/** Delivers queued Stripe calls every `intervalMs` until stopped; every process may run one (rows are claimed). */
export function startStripeOutboxWorker(options: {
  db: Database;
  gateway: StripeGateway;
  handlers: Readonly<Record<string, StripeCallHandler>>;
  now: () => Date;
  intervalMs: number;
  logger: FastifyBaseLogger;
}): { stop(): Promise<void> } {
  return startPeriodicRound(
    async () => {
      const result = await deliverStripeOutbox(options.db, options.gateway, options.handlers, options.now());
      if (result.failed > 0)
        options.logger.warn({ stripe_outbox: result }, 'queued Stripe calls failed; they will be retried');
    },
    {
      intervalMs: options.intervalMs,
      runAtStart: false,
      onError: (error) => options.logger.error({ err: error }, 'the Stripe outbox round failed'),
    },
  );
}
