import { decide, deniedBody, type EnforceOptions, type MiddlewareOptions, trackRequest } from './shared.js';

interface FastifyReplyLike {
  code(statusCode: number): FastifyReplyLike;
  send(body: unknown): unknown;
  statusCode: number;
}

export function tollgateFastify<Request>(options: MiddlewareOptions<Request>) {
  return {
    /** A preHandler hook: answers 429 with the limit and upgrade prompt when denied. */
    enforce(feature: string, enforceOptions: EnforceOptions<Request> = {}) {
      return async (request: Request, reply: FastifyReplyLike) => {
        const result = await decide(options, feature, enforceOptions, request);
        if (result && !result.allowed) return reply.code(429).send(deniedBody(result));
      };
    },
    /** An onResponse hook: counts the request as one `event` after the response was sent. */
    trackRequests(event = 'api_calls') {
      return async (request: Request, reply: FastifyReplyLike) => {
        if (reply.statusCode < 500 && reply.statusCode !== 429) await trackRequest(options, event, request);
      };
    },
  };
}
