import { equalInConstantTime, hmac } from './secrets.js';

export const SESSION_TOKEN_PREFIX = 'tg_st_';

export type SessionClaims = {
  /** The one organization this token may act on. */
  organizationId: string;
  userId: string | null;
  /** Unix seconds. */
  expiresAt: number;
  /** The organization's session generation when minted; revoking its sessions bumps it (session-revocations.ts). */
  generation: number;
};

/** A short-lived organization session token: base64url(JSON claims) + "." + HMAC-SHA256 signature. */
export function signSessionToken(claims: SessionClaims, secret: string): string {
  const payload = Buffer.from(
    JSON.stringify({
      org: claims.organizationId,
      sub: claims.userId,
      exp: claims.expiresAt,
      gen: claims.generation,
    }),
  ).toString('base64url');
  return `${SESSION_TOKEN_PREFIX}${payload}.${hmac(secret, payload)}`;
}

/** Returns the claims of a valid, unexpired token, or null for anything else. */
export function verifySessionToken(token: string, secret: string, now: Date): SessionClaims | null {
  if (!token.startsWith(SESSION_TOKEN_PREFIX)) return null;
  const [payload, signature, extra] = token.slice(SESSION_TOKEN_PREFIX.length).split('.');
  if (!payload || !signature || extra !== undefined) return null;
  if (!equalInConstantTime(signature, hmac(secret, payload))) return null;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const { org, sub, exp, gen } = decoded as { org?: unknown; sub?: unknown; exp?: unknown; gen?: unknown };
  if (typeof org !== 'string' || typeof exp !== 'number') return null;
  if (exp * 1000 <= now.getTime()) return null;
  // Tokens minted before revocation existed carry no generation: they belong to the first one, 0.
  const generation = gen === undefined ? 0 : gen;
  if (typeof generation !== 'number' || !Number.isSafeInteger(generation)) return null;
  return { organizationId: org, userId: typeof sub === 'string' ? sub : null, expiresAt: exp, generation };
}
