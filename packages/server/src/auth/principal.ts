/** Who is calling: a host-app secret key (any organization) or an organization session (one organization). */
export type Principal =
  | { kind: 'secret_key'; keyId: string }
  | { kind: 'organization_session'; organizationId: string; userId: string | null };

/** How the actor is written in the audit log and plan history. */
export function actorOf(principal: Principal | 'system'): string {
  if (principal === 'system') return 'system';
  if (principal.kind === 'secret_key') return `key:${principal.keyId}`;
  return principal.userId
    ? `session:${principal.organizationId}:${principal.userId}`
    : `session:${principal.organizationId}`;
}
