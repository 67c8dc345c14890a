import { decide, deniedBody, type EnforceOptions, type MiddlewareOptions, trackRequest } from './shared.js';

/** The parts of Express's request/response the middleware uses, so Express itself is not a dependency. */
interface ExpressResponse {
  status(code: number): ExpressResponse;
  json(body: unknown): unknown;
  on(event: 'finish', listener: () => void): unknown;
  statusCode: number;
}
type Next = (error?: unknown) => void;

export function tollgateExpress<Request>(options: MiddlewareOptions<Request>) {
  return {
    /** Answers 429 with the limit and upgrade prompt when the organization may not use `feature`. */
    enforce(feature: string, enforceOptions: EnforceOptions<Request> = {}) {
      return (request: Request, response: ExpressResponse, next: Next) => {
        decide(options, feature, enforceOptions, request).then((result) => {
          if (result && !result.allowed) response.status(429).json(deniedBody(result));
          else next();
        }, next);
      };
    },
    /** Counts every request as one `event` once the response has been sent. */
    trackRequests(event = 'api_calls') {
      return (request: Request, response: ExpressResponse, next: Next) => {
        response.on('finish', () => {
          if (response.statusCode < 500 && response.statusCode !== 429)
            void trackRequest(options, event, request);
        });
        next();
      };
    },
  };
}
