import { z } from 'zod';
import { type ApiKeyRow, createApiKey, listApiKeys, revokeApiKey } from '../api-keys/service.js';
import type { App, AppContext } from '../http/context.js';
import { requestActor } from '../http/request-actor.js';
import { commonErrors, iso, isoOrNull } from '../http/schemas.js';

export const createApiKeyBody = z.strictObject({ name: z.string().min(1).max(100) });
export type CreateApiKeyBody = z.infer<typeof createApiKeyBody>;

export const apiKeyResponse = z.object({
  id: z.string(),
  name: z.string(),
  display_prefix: z.string(),
  created_by: z.string(),
  created_at: z.string(),
  revoked_at: z.string().nullable(),
});
export const createdApiKeyResponse = apiKeyResponse.extend({
  secret: z.string().describe('Shown only in this response; store it now'),
});
export type CreatedApiKeyResponse = z.infer<typeof createdApiKeyResponse>;

const toApiKeyResponse = (key: Omit<ApiKeyRow, 'secretHash'>) => ({
  id: key.id,
  name: key.name,
  display_prefix: key.displayPrefix,
  created_by: key.createdBy,
  created_at: iso(key.createdAt),
  revoked_at: isoOrNull(key.revokedAt),
});

/** The three key-management endpoints share one resource shape, so they share one file. */
export function registerApiKeyRoutes(app: App, context: AppContext) {
  app.post(
    '/v1/api-keys',
    {
      schema: {
        tags: ['auth'],
        summary: 'Create a secret key (the secret is shown once)',
        body: createApiKeyBody,
        response: { 201: createdApiKeyResponse, ...commonErrors },
      },
    },
    async (request, reply) => {
      const key = await createApiKey(context.db, request.body.name, requestActor(request, context));
      return reply.status(201).send({ ...toApiKeyResponse(key), secret: key.secret });
    },
  );
  app.get(
    '/v1/api-keys',
    {
      schema: {
        tags: ['auth'],
        summary: 'List secret keys (never their secrets)',
        response: { 200: z.object({ data: z.array(apiKeyResponse) }), ...commonErrors },
      },
    },
    async () => ({ data: (await listApiKeys(context.db)).map(toApiKeyResponse) }),
  );
  app.delete(
    '/v1/api-keys/:keyId',
    {
      schema: {
        tags: ['auth'],
        summary: 'Revoke a secret key; it stops working on the next request',
        params: z.strictObject({ keyId: z.string().min(1).max(64) }),
        response: { 200: apiKeyResponse, ...commonErrors },
      },
    },
    async (request) => {
      const revoked = await revokeApiKey(context.db, request.params.keyId, requestActor(request, context));
      context.auth.apiKeys.forget(revoked.id);
      return toApiKeyResponse(revoked);
    },
  );
}
