import type { FastifyReply, FastifyRequest } from 'fastify';
import { assertOrganizationAccess, authenticate, rememberedCaller } from '../auth/authenticate.js';
import { AppError } from '../errors.js';
import type { App, AppContext, RouteAuth } from './context.js';
import type { RateLimits } from './rate-limits.js';

function routeAuth(request: FastifyRequest): RouteAuth {
  // Swagger UI's own routes carry no config; its pages are public like /openapi.json.
  return (
    request.routeOptions.config.auth ??
    (request.routeOptions.url?.startsWith('/docs') ? 'public' : 'secret_key')
  );
}

const organizationIdOf = (request: FastifyRequest) =>
  (request.params as { organizationId?: string }).organizationId;

/**
 * Identifies the caller on arrival (onRequest), before the body is read or validated, so a request
 * without a valid key is a 401 whatever its body. A callback hook: a key this process already holds
 * (nearly every request of a host app) costs no promise.
 */
export function registerAuthentication(app: App, context: AppContext, rateLimits: RateLimits) {
  const authorize = async (request: FastifyRequest, reply: FastifyReply, auth: RouteAuth) => {
    try {
      request.principal = await authenticate(request, context, async () => {
        // An address past its failed-authentication limit gets no more database lookups of guessed keys.
        if (rateLimits.addressBlocked(request)) {
          throw new AppError('unauthenticated', 401, 'Invalid or revoked API key');
        }
      });
    } catch (error) {
      if (error instanceof AppError && error.statusCode === 401) {
        throw await rateLimits.failedAuthentication(request, reply, error);
      }
      throw error;
    }
    if (request.principal.kind === 'organization_session') {
      if (auth === 'secret_key') {
        throw new AppError(
          'forbidden',
          403,
          'an organization session token cannot call this endpoint; use a secret key',
        );
      }
      if (auth === 'organization') assertOrganizationAccess(request.principal, organizationIdOf(request));
      // From here on the request's statements see its own organization's rows only (decision 19).
      request.organizationDb = context.organizationDatabase?.(request.principal.organizationId) ?? null;
      await rateLimits.sessionRequest(request, reply, request.principal.organizationId);
    }
    await limitRoute(request, reply);
  };
  const limitRoute = async (request: FastifyRequest, reply: FastifyReply) => {
    const organizationId = organizationIdOf(request);
    if (request.routeOptions.config.limit === 'billing_sessions' && organizationId !== undefined) {
      await rateLimits.billingSession(request, reply, organizationId);
    }
  };
  app.addHook('onRequest', (request, reply, done) => {
    // Set on arrival, so every answer carries it, errors included.
    reply.header('x-request-id', request.id);
    const auth = routeAuth(request);
    if (auth === 'public' || request.routeOptions.url === undefined) return done();
    const remembered = rememberedCaller(request, context);
    if (remembered) {
      request.principal = remembered;
      if (request.routeOptions.config.limit === undefined) return done();
      limitRoute(request, reply).then(() => done(), done);
      return;
    }
    authorize(request, reply, auth).then(() => done(), done);
  });
}
