import { decide, deniedBody, type EnforceOptions, type MiddlewareOptions, trackRequest } from './shared.js';

interface HonoContextLike {
  json(body: unknown, status?: number): Response;
  res: Response;
}
type Next = () => Promise<void>;

/** Hono middleware; `organization` receives the Hono context. */
export function tollgateHono<Context extends HonoContextLike>(options: MiddlewareOptions<Context>) {
  return {
    enforce(feature: string, enforceOptions: EnforceOptions<Context> = {}) {
      return async (context: Context, next: Next) => {
        const result = await decide(options, feature, enforceOptions, context);
        if (result && !result.allowed) return context.json(deniedBody(result), 429);
        await next();
      };
    },
    trackRequests(event = 'api_calls') {
      return async (context: Context, next: Next) => {
        await next();
        if (context.res.status < 500 && context.res.status !== 429)
          await trackRequest(options, event, context);
      };
    },
  };
}
