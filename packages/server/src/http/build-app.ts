import { randomBytes } from 'node:crypto';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyServerOptions } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { registerRoutes } from '../routes/index.js';
import { registerAuthentication } from './authentication-hook.js';
import type { App, AppContext } from './context.js';
import { errorBody, handleError } from './error-handler.js';
import { lazyChildLogger } from './lazy-child-logger.js';
import { DEFAULT_RATE_LIMITS, type RateLimitSettings, registerRateLimits } from './rate-limits.js';
import { invalidTextError } from './text-check.js';

export type BuildAppOptions = {
  logger: FastifyServerOptions['logger'];
  /** Extra routes from other capabilities, registered after the core ones. */
  registerExtraRoutes?: (app: App, context: AppContext) => void;
  rateLimits?: RateLimitSettings | undefined;
};

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Request ids need to be unique, not secret: a random prefix per process and a counter, instead of
 * fresh random bytes for every request (measurable on a path that answers thousands of checks a second).
 */
function requestIdSequence(): () => string {
  const prefix = `req_${randomBytes(6).toString('base64url')}`;
  let counter = 0;
  return () => {
    counter += 1;
    return `${prefix}${counter.toString(36).padStart(6, '0')}`;
  };
}

/** Builds the HTTP API. It does not listen: the server module or a test decides that. */
export async function buildApp(context: AppContext, options: BuildAppOptions): Promise<App> {
  const nextRequestId = requestIdSequence();
  const app = Fastify({
    logger: options.logger,
    bodyLimit: 1_048_576,
    // A "__proto__" or "constructor.prototype" key in a JSON body is dropped rather than failing the
    // whole request: one such key in one event must not lose a batch's valid events.
    onProtoPoisoning: 'remove',
    onConstructorPoisoning: 'remove',
    // Host-app ids reach 255 characters, more once percent-encoded; Fastify's default is 100.
    routerOptions: { maxParamLength: 2_048 },
    requestIdHeader: false,
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : nextRequestId();
    },
    ajv: { customOptions: { removeAdditional: false } },
    // With logging off Fastify's own stand-in logger is already free; with pino, make children lazily.
    ...(options.logger ? { childLoggerFactory: lazyChildLogger } : {}),
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send(errorBody(request, 'route_not_found', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );
  app.decorateRequest('principal', undefined as never);
  app.decorateRequest('organizationDb', null);
  const rateLimits = await registerRateLimits(app, options.rateLimits ?? DEFAULT_RATE_LIMITS);
  registerAuthentication(app, context, rateLimits);
  // After parsing, before validation and after authentication: text PostgreSQL cannot store is one
  // 400 naming the field, for every route, instead of a database error deep in a handler.
  app.addHook('preValidation', (request, _reply, done) => done(invalidTextError(request)));

  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'Tollgate API',
        version: '1.0.0',
        description:
          'Metering, entitlements, credits and billing for multi-tenant SaaS. Request bodies are strict: unknown fields are rejected with 400.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'Secret key or organization session token' },
        },
      },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' } });
  app.get('/openapi.json', { config: { auth: 'public' }, schema: { hide: true } }, async () => app.swagger());

  registerRoutes(app, context);
  options.registerExtraRoutes?.(app, context);
  return app;
}
