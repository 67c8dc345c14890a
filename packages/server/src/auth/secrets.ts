import { createHmac, hash, randomBytes, timingSafeEqual } from 'node:crypto';

export const SECRET_KEY_PREFIX = 'tg_sk_';

/** A new secret key: 32 random bytes, base64url, so hashing it with SHA-256 is enough (no stretching needed). */
export function generateSecretKey(): string {
  return `${SECRET_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** SHA-256 in hex. The one-shot `hash` skips the Hash object: it runs on every authenticated request. */
export function hashSecret(secret: string): string {
  return hash('sha256', secret, 'hex');
}

export function randomId(prefix: string, bytes = 12): string {
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`;
}

export function equalInConstantTime(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function hmac(secret: string, message: string): string {
  return createHmac('sha256', secret).update(message).digest('base64url');
}
