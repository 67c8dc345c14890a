import { and, eq } from 'drizzle-orm';
import { organizationMembers, organizations } from '../db/schema/index.js';
import type { DbOrTx } from '../db/transaction.js';
import { AppError } from '../errors.js';
import type { Wallet } from './wallet.js';

export async function assertOrganizationExists(tx: DbOrTx, organizationId: string): Promise<void> {
  const [row] = await tx
    .select({ id: organizations.id })
    .from(organizations)
    .where(eq(organizations.id, organizationId))
    .limit(1);
  if (!row) throw new AppError('not_found', 404, `organization "${organizationId}" not found`);
}

/**
 * A user's wallet lives in one of their organizations. Named explicitly, or implied when the user
 * belongs to exactly one.
 */
export async function resolveUserWallet(
  tx: DbOrTx,
  userId: string,
  organizationId: string | undefined,
  role: 'sender' | 'receiver',
): Promise<Wallet> {
  const memberships = await tx
    .select({ organizationId: organizationMembers.organizationId })
    .from(organizationMembers)
    .where(
      organizationId === undefined
        ? eq(organizationMembers.userId, userId)
        : and(eq(organizationMembers.userId, userId), eq(organizationMembers.organizationId, organizationId)),
    )
    .limit(2);
  const [first, second] = memberships;
  if (!first) {
    throw new AppError(
      `unknown_${role}`,
      404,
      `user "${userId}" not found${organizationId ? ` in organization "${organizationId}"` : ''}`,
    );
  }
  if (second) {
    throw new AppError(
      'ambiguous_user',
      400,
      `user "${userId}" belongs to several organizations; name the ${role === 'sender' ? 'from' : 'to'}_organization_id`,
    );
  }
  return { organizationId: first.organizationId, userId };
}
