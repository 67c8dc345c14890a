import { z } from 'zod';
import { recordAudit } from '../audit/record.js';
import { signSessionToken } from '../auth/session-tokens.js';
import { withTransaction } from '../db/transaction.js';
import type { App, AppContext } from '../http/context.js';
import { requestActor } from '../http/request-actor.js';
import { commonErrors, hostId, organizationParams } from '../http/schemas.js';
import { getOrganization } from '../organizations/service.js';

export const createSessionBody = z.strictObject({
  user_id: hostId.optional().describe('The user the session acts for, recorded in the audit log'),
  ttl_seconds: z.number().int().min(60).max(86_400).optional().describe('Default SESSION_TTL_SECONDS'),
});
export type CreateSessionBody = z.infer<typeof createSessionBody>;

export const sessionResponse = z.object({
  token: z.string().describe('Send as "Authorization: Bearer <token>"; acts only on this organization'),
  organization_id: z.string(),
  user_id: z.string().nullable(),
  expires_at: z.string(),
});
export type SessionResponse = z.infer<typeof sessionResponse>;

export function registerCreateSessionRoute(app: App, context: AppContext) {
  app.post(
    '/v1/organizations/:organizationId/sessions',
    {
      schema: {
        tags: ['auth'],
        summary: 'Mint a short-lived organization session token for a dashboard or embed',
        params: organizationParams,
        body: createSessionBody,
        response: { 201: sessionResponse, ...commonErrors },
      },
    },
    async (request, reply) => {
      const { organizationId } = request.params;
      const actor = requestActor(request, context);
      const ttl = request.body.ttl_seconds ?? context.auth.sessionTtlSeconds;
      const expiresAt = Math.floor(actor.now.getTime() / 1000) + ttl;
      const userId = request.body.user_id ?? null;
      const generation = await withTransaction(context.db, async (tx) => {
        await getOrganization(tx, organizationId);
        // The token itself is never logged; the audit entry says who got one and until when.
        await recordAudit(tx, {
          actor: actor.actor,
          action: 'session.created',
          targetType: 'organization',
          targetId: organizationId,
          organizationId,
          after: { user_id: userId, expires_at: new Date(expiresAt * 1000).toISOString() },
          requestId: actor.requestId,
        });
        return context.auth.sessionRevocations.current(organizationId, tx);
      });
      const token = signSessionToken(
        { organizationId, userId, expiresAt, generation },
        context.auth.sessionSecret,
      );
      return reply.status(201).send({
        token,
        organization_id: organizationId,
        user_id: userId,
        expires_at: new Date(expiresAt * 1000).toISOString(),
      });
    },
  );
}
