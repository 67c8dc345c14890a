import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { databaseFaultOf } from '../db/database-faults.js';
import { AppError } from '../errors.js';

type ErrorBody = { error: { code: string; message: string; request_id: string; [key: string]: unknown } };

export function errorBody(
  request: FastifyRequest,
  code: string,
  message: string,
  details?: Record<string, unknown>,
): ErrorBody {
  return { error: { code, message, request_id: String(request.id), ...details } };
}

/** Fastify's own error codes that are the caller's fault, with the stable code we expose for each. */
const FRAMEWORK_ERRORS: Record<string, { status: number; code: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid_json' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'invalid_request' },
};

/** The one place where errors become `{error:{code,message,request_id}}`. */
export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof AppError) {
    return reply.status(error.statusCode).send(errorBody(request, error.code, error.message, error.details));
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const location = error.validationContext ?? 'body';
    const fields = error.validation.map((issue) => ({
      field: fieldPath(location, issue.instancePath, issue.params),
      message: issue.message ?? 'invalid',
    }));
    const message = fields.map((field) => `${field.field}: ${field.message}`).join('; ');
    return reply.status(400).send(errorBody(request, 'invalid_request', message, { fields }));
  }
  const framework = error.code ? FRAMEWORK_ERRORS[error.code] : undefined;
  if (framework)
    return reply.status(framework.status).send(errorBody(request, framework.code, error.message));
  if (error instanceof SyntaxError && error.statusCode === 400) {
    return reply.status(400).send(errorBody(request, 'invalid_json', error.message));
  }
  const databaseFault = databaseFaultOf(error);
  if (databaseFault) {
    // Only the code: the driver's message may quote the statement's parameters.
    request.log.warn({ code: databaseFault.code }, 'database fault');
    return reply
      .status(503)
      .header('retry-after', '1')
      .send(errorBody(request, databaseFault.code, databaseFault.message));
  }
  const status = error.statusCode ?? 500;
  if (status < 500) return reply.status(status).send(errorBody(request, 'bad_request', error.message));
  request.log.error({ err: error }, 'unhandled error');
  return reply.status(500).send(errorBody(request, 'internal_error', 'Internal server error'));
}

/** "/email" + {} → "body.email"; an unrecognized key is named as the field itself. */
function fieldPath(
  location: string,
  instancePath: string,
  params: Record<string, unknown> | undefined,
): string {
  const segments = instancePath.split('/').filter(Boolean);
  const unknownKeys = params?.keys;
  if (Array.isArray(unknownKeys) && unknownKeys.length > 0) segments.push(String(unknownKeys[0]));
  return [location, ...segments].join('.');
}
