import type { BillingInterval, Catalog } from '@tollgate/core';
import { and, asc, eq, gt, inArray, notInArray } from 'drizzle-orm';
import { recordAudit } from '../audit/record.js';
import { queueCustomerUpdate } from '../billing/customer-updates.js';
import { type BillingAddress, organizations, subscriptions, type TaxIdInput } from '../db/schema/index.js';
import { type DbOrTx, withTransaction } from '../db/transaction.js';
import { conflict, notFound } from '../errors.js';
import { assignPlan, liveSubscription, type SubscriptionRow } from '../subscriptions/assign-plan.js';

export type OrganizationRow = typeof organizations.$inferSelect;
export type OrganizationWithSubscription = OrganizationRow & { subscription: SubscriptionRow | undefined };

export type Actor = { actor: string; requestId: string | null; now: Date };

export type CreateOrganizationInput = {
  id: string;
  name: string;
  email?: string | null | undefined;
  plan?: string | undefined;
  interval?: BillingInterval | undefined;
  trialOrganization?: boolean | undefined;
  metadata?: Record<string, string> | undefined;
};

export async function createOrganization(
  db: DbOrTx,
  catalog: Catalog,
  input: CreateOrganizationInput,
  actor: Actor,
): Promise<OrganizationWithSubscription> {
  return withTransaction(db, async (tx) => {
    const [organization] = await tx
      .insert(organizations)
      .values({
        id: input.id,
        name: input.name,
        email: input.email ?? null,
        trialOrganization: input.trialOrganization ?? false,
        metadata: input.metadata ?? {},
        createdAt: actor.now,
        updatedAt: actor.now,
      })
      .onConflictDoNothing()
      .returning();
    if (!organization) throw conflict('organization_exists', `organization "${input.id}" already exists`);
    const subscription = await assignPlan(tx, catalog, {
      organizationId: organization.id,
      planCode: input.plan ?? catalog.defaultPlanCode,
      interval: input.interval ?? 'month',
      source: input.plan && input.plan !== catalog.defaultPlanCode ? 'manual' : 'default',
      actor: actor.actor,
      now: actor.now,
    });
    await recordAudit(tx, {
      actor: actor.actor,
      action: 'organization.created',
      targetType: 'organization',
      targetId: organization.id,
      organizationId: organization.id,
      after: { ...organization, plan: subscription.planCode },
      requestId: actor.requestId,
    });
    return { ...organization, subscription };
  });
}

export async function getOrganization(
  db: DbOrTx,
  organizationId: string,
): Promise<OrganizationWithSubscription> {
  const [organization] = await db.select().from(organizations).where(eq(organizations.id, organizationId));
  if (!organization) throw notFound('organization', organizationId);
  return { ...organization, subscription: await liveSubscription(db, organizationId) };
}

export type UpdateOrganizationInput = {
  name?: string | undefined;
  email?: string | null | undefined;
  trialOrganization?: boolean | undefined;
  metadata?: Record<string, string> | undefined;
  plan?: string | undefined;
  interval?: BillingInterval | undefined;
  billingAddress?: BillingAddress | null | undefined;
  taxExempt?: 'none' | 'exempt' | 'reverse' | undefined;
  taxIds?: TaxIdInput[] | undefined;
};

/** Fields that the organization's Stripe customer mirrors: a change to one is pushed to Stripe. */
const CUSTOMER_FIELDS = ['name', 'email', 'billingAddress', 'taxExempt', 'taxIds'] as const;

export async function updateOrganization(
  db: DbOrTx,
  catalog: Catalog,
  organizationId: string,
  input: UpdateOrganizationInput,
  actor: Actor,
): Promise<OrganizationWithSubscription> {
  return withTransaction(db, async (tx) => {
    const [before] = await tx
      .select()
      .from(organizations)
      .where(eq(organizations.id, organizationId))
      .for('update');
    if (!before) throw notFound('organization', organizationId);
    const [after] = await tx
      .update(organizations)
      .set({
        ...(input.name !== undefined && { name: input.name }),
        ...(input.email !== undefined && { email: input.email }),
        ...(input.trialOrganization !== undefined && { trialOrganization: input.trialOrganization }),
        ...(input.metadata !== undefined && { metadata: input.metadata }),
        ...(input.billingAddress !== undefined && { billingAddress: input.billingAddress }),
        ...(input.taxExempt !== undefined && { taxExempt: input.taxExempt }),
        ...(input.taxIds !== undefined && { taxIds: input.taxIds }),
        updatedAt: actor.now,
      })
      .where(eq(organizations.id, organizationId))
      .returning();
    if (!after) throw notFound('organization', organizationId);
    if (CUSTOMER_FIELDS.some((field) => JSON.stringify(before[field]) !== JSON.stringify(after[field]))) {
      await queueCustomerUpdate(tx, after, actor.now);
    }
    let subscription = await liveSubscription(tx, organizationId);
    // A plan or an interval alone may change; whichever is not named stays as it is.
    const targetPlan = input.plan ?? subscription?.planCode ?? catalog.defaultPlanCode;
    const targetInterval = input.interval ?? subscription?.interval ?? 'month';
    const planChanged =
      (input.plan !== undefined || input.interval !== undefined) &&
      (targetPlan !== subscription?.planCode || targetInterval !== subscription?.interval);
    if (planChanged) {
      subscription = await assignPlan(tx, catalog, {
        organizationId,
        planCode: targetPlan,
        interval: targetInterval,
        source: 'manual',
        actor: actor.actor,
        now: actor.now,
      });
    }
    await recordAudit(tx, {
      actor: actor.actor,
      action: 'organization.updated',
      targetType: 'organization',
      targetId: organizationId,
      organizationId,
      before,
      after: planChanged ? { ...after, plan: subscription?.planCode } : after,
      requestId: actor.requestId,
    });
    return { ...after, subscription };
  });
}

/** Ordered by id; `startingAfter` is the last id of the previous page. */
export async function listOrganizations(db: DbOrTx, limit: number, startingAfter?: string) {
  const rows = await db
    .select()
    .from(organizations)
    .where(startingAfter === undefined ? undefined : gt(organizations.id, startingAfter))
    .orderBy(asc(organizations.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const live = page.length
    ? await db
        .select()
        .from(subscriptions)
        .where(
          and(
            inArray(
              subscriptions.organizationId,
              page.map((organization) => organization.id),
            ),
            notInArray(subscriptions.status, ['canceled', 'expired']),
          ),
        )
    : [];
  const withSubscriptions: OrganizationWithSubscription[] = page.map((organization) => ({
    ...organization,
    subscription: live.find((subscription) => subscription.organizationId === organization.id),
  }));
  return { organizations: withSubscriptions, hasMore: rows.length > limit };
}
