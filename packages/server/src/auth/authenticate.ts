import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import type { AppContext } from '../http/context.js';
import type { Principal } from './principal.js';
import { equalInConstantTime, hashSecret, SECRET_KEY_PREFIX } from './secrets.js';
import { SESSION_TOKEN_PREFIX, verifySessionToken } from './session-tokens.js';

export const ADMIN_KEY_ID = 'admin';

const unauthenticated = (message: string) => new AppError('unauthenticated', 401, message);

function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (!header) throw unauthenticated('Missing Authorization header: send "Authorization: Bearer <key>"');
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1]) throw unauthenticated('Authorization header must be "Bearer <key>"');
  return match[1];
}

/**
 * The caller, when its bearer token is an API key this process holds in memory: answered without a
 * promise, as nearly every request of a busy host app is. Undefined means "ask `authenticate`".
 */
export function rememberedCaller(request: FastifyRequest, context: AppContext): Principal | undefined {
  const header = request.headers.authorization;
  if (header === undefined || !header.startsWith('Bearer ')) return undefined;
  const keyId = context.auth.apiKeys.remembered(header.slice(7));
  return keyId ? { kind: 'secret_key', keyId } : undefined;
}

/**
 * Resolves the caller from the bearer token; throws 401 for anything missing, unknown, revoked or
 * expired. `beforeKeyLookup` runs before an unknown API key is looked up in the database (the step a
 * key-guessing flood would make expensive), and may refuse it by throwing.
 */
export async function authenticate(
  request: FastifyRequest,
  context: AppContext,
  beforeKeyLookup?: () => Promise<void>,
): Promise<Principal> {
  const token = bearerToken(request);
  if (token.startsWith(SESSION_TOKEN_PREFIX)) {
    const claims = verifySessionToken(token, context.auth.sessionSecret, context.now());
    if (!claims) throw unauthenticated('Invalid or expired session token');
    const sessions = context.auth.sessionRevocations;
    const generation =
      sessions.remembered(claims.organizationId) ?? (await sessions.current(claims.organizationId));
    if (claims.generation !== generation) throw unauthenticated('Session token revoked');
    return { kind: 'organization_session', organizationId: claims.organizationId, userId: claims.userId };
  }
  // A key already in memory is an API key (the admin key is never looked up, so never remembered).
  const rememberedKeyId = context.auth.apiKeys.remembered(token);
  if (rememberedKeyId) return { kind: 'secret_key', keyId: rememberedKeyId };
  const secretHash = hashSecret(token);
  if (equalInConstantTime(secretHash, context.auth.adminKeyHash))
    return { kind: 'secret_key', keyId: ADMIN_KEY_ID };
  if (!token.startsWith(SECRET_KEY_PREFIX)) throw unauthenticated('Invalid API key');
  await beforeKeyLookup?.();
  const keyId = await context.auth.apiKeys.find(token, secretHash);
  if (!keyId) throw unauthenticated('Invalid or revoked API key');
  return { kind: 'secret_key', keyId };
}

/**
 * A session token may only reach its own organization. Another organization's data answers 404,
 * exactly as if it did not exist, so tokens cannot probe which organizations exist.
 */
export function assertOrganizationAccess(principal: Principal, organizationId: string | undefined): void {
  if (principal.kind === 'secret_key') return;
  if (organizationId === undefined || principal.organizationId !== organizationId) {
    throw new AppError('not_found', 404, `organization "${organizationId ?? ''}" not found`);
  }
}
