import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import type { App } from './context.js';

/** Requests allowed per window; 0 turns a limit off. Read from the environment in config.ts. */
export type RateLimitSettings = {
  windowSeconds: number;
  /** Failed authentications per client address. */
  failedAuthenticationsPerAddress: number;
  /** Requests authenticated by an organization session token, per organization. */
  sessionRequestsPerOrganization: number;
  /** Checkout and Customer Portal sessions created, per organization. */
  billingSessionsPerOrganization: number;
};

export const DEFAULT_RATE_LIMITS: RateLimitSettings = {
  windowSeconds: 60,
  failedAuthenticationsPerAddress: 30,
  sessionRequestsPerOrganization: 600,
  billingSessionsPerOrganization: 20,
};

/** Counts one request against a limit; throws 429 (with Retry-After and RateLimit-* headers) past it. */
type Limiter = (request: FastifyRequest, reply: FastifyReply, key: string) => Promise<void>;

export type RateLimits = {
  /**
   * Counts a failed authentication of the request's address: the 401 it was going to get, or a 429
   * once the address is past its limit. Returns the error to answer with.
   */
  failedAuthentication(request: FastifyRequest, reply: FastifyReply, failure: AppError): Promise<AppError>;
  /** Whether the address was past its failed-authentication limit when last counted (no counting, no promise). */
  addressBlocked(request: FastifyRequest): boolean;
  sessionRequest: Limiter;
  billingSession: Limiter;
};

const MAX_BLOCKED_ADDRESSES = 10_000;

const tooManyRequests = (what: string) =>
  new AppError('rate_limited', 429, `Too many ${what}; retry after the time in the Retry-After header`);

/**
 * The limits, counted in this process's memory by @fastify/rate-limit's store (docs/security.md says
 * what a second process sees). Host-app secret keys on /v1/check and /v1/events meet none of them:
 * only failures, session tokens and Checkout/Portal creation are counted.
 */
export async function registerRateLimits(app: App, settings: RateLimitSettings): Promise<RateLimits> {
  await app.register(fastifyRateLimit, { global: false });
  const windowMs = settings.windowSeconds * 1000;
  const limiter = (name: string, max: number, what: string) => {
    const count = app.createRateLimit({
      max,
      timeWindow: windowMs,
      keyGenerator: (request) => (request as FastifyRequest & { [RATE_LIMIT_KEY]: string })[RATE_LIMIT_KEY],
    });
    return async (request: FastifyRequest, reply: FastifyReply, key: string) => {
      if (max === 0) return undefined;
      (request as FastifyRequest & { [RATE_LIMIT_KEY]: string })[RATE_LIMIT_KEY] = `${name}:${key}`;
      const result = await count(request);
      if (result.isAllowed) return undefined;
      reply.header('ratelimit-limit', result.max);
      reply.header('ratelimit-remaining', result.remaining);
      reply.header('ratelimit-reset', result.ttlInSeconds);
      if (!result.isExceeded) return undefined;
      reply.header('retry-after', result.ttlInSeconds);
      return { error: tooManyRequests(what), retryAtMs: Date.now() + result.ttl };
    };
  };
  const failures = limiter('auth', settings.failedAuthenticationsPerAddress, 'failed authentications');
  const sessions = limiter('session', settings.sessionRequestsPerOrganization, 'session requests');
  const billing = limiter('billing', settings.billingSessionsPerOrganization, 'checkout or portal sessions');
  // Address → when its block ends: lets a request from a blocked address be refused before its key is
  // looked up, without counting every request of every address.
  const blockedUntil = new Map<string, number>();
  return {
    addressBlocked(request) {
      const until = blockedUntil.get(request.ip);
      if (until === undefined) return false;
      if (until > Date.now()) return true;
      blockedUntil.delete(request.ip);
      return false;
    },
    async failedAuthentication(request, reply, failure) {
      const limited = await failures(request, reply, request.ip);
      if (!limited) return failure;
      if (blockedUntil.size >= MAX_BLOCKED_ADDRESSES) blockedUntil.clear();
      blockedUntil.set(request.ip, limited.retryAtMs);
      return limited.error;
    },
    async sessionRequest(request, reply, organizationId) {
      const limited = await sessions(request, reply, organizationId);
      if (limited) throw limited.error;
    },
    async billingSession(request, reply, organizationId) {
      const limited = await billing(request, reply, organizationId);
      if (limited) throw limited.error;
    },
  };
}

const RATE_LIMIT_KEY = Symbol('tollgate.rateLimitKey');
