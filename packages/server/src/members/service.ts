import { type Catalog, decideSeats, isSubscriptionActive, seatLimitReached } from '@tollgate/core';
import { and, asc, count, eq, gt, sql } from 'drizzle-orm';
import { recordAudit } from '../audit/record.js';
import { organizationMembers, users } from '../db/schema/index.js';
import { type DbOrTx, withTransaction } from '../db/transaction.js';
import { AppError, notFound } from '../errors.js';
import { type Actor, getOrganization } from '../organizations/service.js';
import { effectivePlanCode } from '../subscriptions/assign-plan.js';

export type MemberInput = {
  userId: string;
  email?: string | null | undefined;
  name?: string | null | undefined;
  role?: string | undefined;
};

export type Member = {
  userId: string;
  email: string | null;
  name: string | null;
  role: string;
  createdAt: Date;
};

export async function countMembers(db: DbOrTx, organizationId: string): Promise<number> {
  const [row] = await db
    .select({ total: count() })
    .from(organizationMembers)
    .where(eq(organizationMembers.organizationId, organizationId));
  return row?.total ?? 0;
}

/**
 * Adds a user to an organization, creating the user on first sight. A hard seat cap is enforced
 * here, under a lock on the organization, so two concurrent additions cannot both take the last seat.
 */
export async function addMember(
  db: DbOrTx,
  catalog: Catalog,
  organizationId: string,
  input: MemberInput,
  actor: Actor,
): Promise<Member> {
  return withTransaction(db, async (tx) => {
    await tx.execute(sql`select 1 from organizations where id = ${organizationId} for update`);
    const organization = await getOrganization(tx, organizationId);
    const userChanges = {
      ...(input.email !== undefined && { email: input.email }),
      ...(input.name !== undefined && { name: input.name }),
    };
    const insertUser = tx.insert(users).values({
      id: input.userId,
      email: input.email ?? null,
      name: input.name ?? null,
      createdAt: actor.now,
    });
    await (Object.keys(userChanges).length > 0
      ? insertUser.onConflictDoUpdate({ target: users.id, set: userChanges })
      : insertUser.onConflictDoNothing());
    const [existing] = await tx
      .select()
      .from(organizationMembers)
      .where(
        and(
          eq(organizationMembers.organizationId, organizationId),
          eq(organizationMembers.userId, input.userId),
        ),
      );
    if (!existing) {
      const { subscription } = organization;
      const seats = subscription
        ? catalog.planFeature(effectivePlanCode(catalog, subscription), 'seats')
        : undefined;
      // The seat rule /v1/check answers with (core decideSeats), so both always agree.
      if (typeof seats === 'object' && seats.included !== 'unlimited') {
        const taken = await countMembers(tx, organizationId);
        const decision = decideSeats({
          planFeature: seats,
          members: taken,
          quantity: 1,
          defaultGracePercent: catalog.definition.metering.default_grace_percent,
          subscriptionActive: subscription ? isSubscriptionActive(subscription.status) : false,
        });
        if (seatLimitReached(decision)) {
          throw new AppError(
            'seat_limit_reached',
            409,
            `the plan allows ${seats.included} seats and all are taken`,
            { limit: Number(seats.included), used: taken },
          );
        }
      }
    }
    const [membership] = await tx
      .insert(organizationMembers)
      .values({ organizationId, userId: input.userId, role: input.role ?? 'member', createdAt: actor.now })
      .onConflictDoUpdate({
        target: [organizationMembers.organizationId, organizationMembers.userId],
        set: { role: input.role ?? existing?.role ?? 'member' },
      })
      .returning();
    const [user] = await tx.select().from(users).where(eq(users.id, input.userId));
    if (!membership || !user) throw new Error('membership upsert returned no row');
    const member = {
      userId: user.id,
      email: user.email,
      name: user.name,
      role: membership.role,
      createdAt: membership.createdAt,
    };
    await recordAudit(tx, {
      actor: actor.actor,
      action: existing ? 'member.updated' : 'member.added',
      targetType: 'user',
      targetId: user.id,
      organizationId,
      before: existing ?? null,
      after: member,
      requestId: actor.requestId,
    });
    return member;
  });
}

export async function removeMember(
  db: DbOrTx,
  organizationId: string,
  userId: string,
  actor: Actor,
): Promise<void> {
  await withTransaction(db, async (tx) => {
    const [removed] = await tx
      .delete(organizationMembers)
      .where(
        and(eq(organizationMembers.organizationId, organizationId), eq(organizationMembers.userId, userId)),
      )
      .returning();
    if (!removed) throw notFound('member', userId);
    await recordAudit(tx, {
      actor: actor.actor,
      action: 'member.removed',
      targetType: 'user',
      targetId: userId,
      organizationId,
      before: removed,
      requestId: actor.requestId,
    });
  });
}

export async function listMembers(db: DbOrTx, organizationId: string, limit: number, startingAfter?: string) {
  await getOrganization(db, organizationId);
  const rows = await db
    .select({
      userId: users.id,
      email: users.email,
      name: users.name,
      role: organizationMembers.role,
      createdAt: organizationMembers.createdAt,
    })
    .from(organizationMembers)
    .innerJoin(users, eq(users.id, organizationMembers.userId))
    .where(
      and(
        eq(organizationMembers.organizationId, organizationId),
        startingAfter === undefined ? undefined : gt(organizationMembers.userId, startingAfter),
      ),
    )
    .orderBy(asc(organizationMembers.userId))
    .limit(limit + 1);
  return { members: rows.slice(0, limit), hasMore: rows.length > limit };
}
