import Stripe from 'stripe';
import { AppError } from '../errors.js';
import type { AppContext } from '../http/context.js';
import type { StripeGateway } from './stripe-gateway.js';

/** Whether Stripe could not be reached or failed on its side: the call may succeed later. */
export function isStripeOutage(error: unknown): boolean {
  return (
    error instanceof Stripe.errors.StripeConnectionError ||
    error instanceof Stripe.errors.StripeAPIError ||
    error instanceof Stripe.errors.StripeRateLimitError ||
    (error instanceof Stripe.errors.StripeError && (error.statusCode ?? 0) >= 500)
  );
}

/** Stripe's failures in Tollgate's words, for a call a user is waiting on. */
export function toAppError(error: unknown): unknown {
  if (error instanceof AppError) return error;
  if (isStripeOutage(error)) {
    return new AppError('stripe_unavailable', 503, 'Stripe cannot be reached right now; try again shortly');
  }
  if (error instanceof Stripe.errors.StripeCardError) {
    return new AppError('payment_failed', 402, error.message, { decline_code: error.decline_code ?? null });
  }
  if (error instanceof Stripe.errors.StripeError) {
    // Tollgate built the request, so Stripe refusing it is our fault or a misconfiguration, not the caller's.
    return new AppError('stripe_error', 502, `Stripe refused the request: ${error.message}`, {
      stripe_code: error.code ?? null,
    });
  }
  return error;
}

/** Runs a Stripe call for a waiting user: outages become 503 stripe_unavailable. */
export async function callStripe<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toAppError(error);
  }
}

/** The gateway, or 503 when Tollgate runs without payments (a test harness, a misconfiguration). */
export function requireStripe(context: Pick<AppContext, 'stripe'>): StripeGateway {
  if (!context.stripe) {
    throw new AppError('stripe_not_configured', 503, 'payments are not configured on this server');
  }
  return context.stripe;
}
