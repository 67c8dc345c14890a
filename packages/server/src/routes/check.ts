import { isDecimalText, isWithinUsageBound, toDecimal } from '@tollgate/core';
import type { FastifyRouteSchemaDef, FastifyValidationResult } from 'fastify/types/schema.js';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { App, AppContext } from '../http/context.js';
import { commonErrors, hostId, isHostId } from '../http/schemas.js';

const isQuantity = (value: unknown) => {
  if (typeof value !== 'number' && typeof value !== 'string') return false;
  const text = String(value).trim();
  return isDecimalText(text) && !text.startsWith('-') && isWithinUsageBound(text);
};

const quantity = z
  .union([z.number(), z.string()])
  .refine(isQuantity, 'must be a non-negative decimal number, at most 10^15')
  .describe('Exact decimal ≥ 0 as a number or a string; default 1');

export const checkBody = z.strictObject({
  organization_id: hostId,
  feature: z.string().min(1).max(63),
  quantity: quantity.optional(),
  project_id: hostId.optional(),
  user_id: hostId.optional(),
  consume: z.boolean().default(false).describe('Record the quantity when allowed, atomically'),
  idempotency_key: z.string().min(1).max(255).optional().describe('Repeat it to get the first answer back'),
});
export type CheckBody = z.input<typeof checkBody>;

export const checkResponse = z.object({
  allowed: z.boolean(),
  feature: z.string(),
  limit: z.number().nullable().describe('Included quantity of the plan; null when unlimited or boolean'),
  used: z.number(),
  remaining: z.number().nullable(),
  cap: z.enum(['hard', 'soft']).nullable(),
  reason: z
    .enum(['limit_exceeded', 'feature_not_in_plan', 'subscription_inactive', 'trial_exhausted'])
    .optional(),
  upgrade_url: z.string().optional(),
});
export type CheckResponse = z.infer<typeof checkResponse>;

const CHECK_FIELDS = new Set(Object.keys(checkBody.shape));

/**
 * The common, well-formed check body, accepted without zod building a copy of it (this route answers
 * thousands of requests a second); anything else goes through the zod schema for its precise error.
 * Accepts exactly what `checkBody` accepts.
 */
function wellFormedCheckBody(data: unknown): z.output<typeof checkBody> | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const body = data as Record<string, unknown>;
  for (const key in body) if (!CHECK_FIELDS.has(key)) return undefined;
  const { feature, idempotency_key: key, consume } = body;
  const wellFormed =
    isHostId(body.organization_id) &&
    typeof feature === 'string' &&
    feature.length >= 1 &&
    feature.length <= 63 &&
    (body.quantity === undefined || isQuantity(body.quantity)) &&
    (body.project_id === undefined || isHostId(body.project_id)) &&
    (body.user_id === undefined || isHostId(body.user_id)) &&
    (consume === undefined || typeof consume === 'boolean') &&
    (key === undefined || (typeof key === 'string' && key.length >= 1 && key.length <= 255));
  if (!wellFormed) return undefined;
  // The body was parsed for this request alone: completing it in place spares a copy.
  body.consume = consume === true;
  return body as z.output<typeof checkBody>;
}

/**
 * Answers remembered by the check service are the same object each time; so is their JSON, kept on
 * the answer under a symbol (which JSON.stringify leaves out). A WeakMap from answer to JSON, as
 * before, made a table entry for every answer, and under a stream of events most answers live briefly.
 */
const ANSWER_JSON = Symbol('answer JSON');
type SerializedAnswer = { [ANSWER_JSON]?: string };
function serializeAnswer(answer: SerializedAnswer): string {
  answer[ANSWER_JSON] ??= JSON.stringify(answer);
  return answer[ANSWER_JSON];
}

const ONE = toDecimal(1);

function checkBodyValidator<Schema>(route: FastifyRouteSchemaDef<Schema>): FastifyValidationResult {
  const withZod = validatorCompiler(route as unknown as FastifyRouteSchemaDef<z.ZodType>);
  if (route.httpPart !== 'body') return withZod;
  return (data) => {
    const value = wellFormedCheckBody(data);
    return value ? { value } : withZod(data);
  };
}

export function registerCheckRoute(app: App, context: AppContext) {
  app.post(
    '/v1/check',
    {
      schema: {
        tags: ['metering'],
        summary: 'May this organization use a feature now? Optionally consume it atomically',
        description: 'A denial is an answer (200, allowed: false), not an error.',
        body: checkBody,
        response: { 200: checkResponse, ...commonErrors },
      },
      validatorCompiler: checkBodyValidator,
      // The answer is built by toCheckAnswer, typed as CheckAnswer; re-validating it on every check costs
      // more than the check's own decision. Tests validate it against checkResponse.
      serializerCompiler: () => serializeAnswer,
    },
    // Not async: a repeated check is answered from memory without a promise (check-service.ts).
    (request) => {
      const body = request.body;
      const input = {
        organizationId: body.organization_id,
        feature: body.feature,
        quantity:
          body.quantity === undefined || body.quantity === 1 ? ONE : toDecimal(String(body.quantity).trim()),
        projectId: body.project_id,
        userId: body.user_id,
        consume: body.consume,
        idempotencyKey: body.idempotency_key,
      };
      const now = context.now();
      const { checks } = context.metering;
      return checks.answerFromMemory(input, now) ?? checks.check(input, now);
    },
  );
}
