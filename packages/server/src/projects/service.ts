import { and, asc, eq, gt } from 'drizzle-orm';
import { recordAudit } from '../audit/record.js';
import { randomId } from '../auth/secrets.js';
import { projects } from '../db/schema/index.js';
import { type DbOrTx, withTransaction } from '../db/transaction.js';
import { conflict } from '../errors.js';
import { type Actor, getOrganization } from '../organizations/service.js';

export type ProjectRow = typeof projects.$inferSelect;

export async function createProject(
  db: DbOrTx,
  organizationId: string,
  input: { id?: string | undefined; name: string; metadata?: Record<string, string> | undefined },
  actor: Actor,
): Promise<ProjectRow> {
  return withTransaction(db, async (tx) => {
    await getOrganization(tx, organizationId);
    const [project] = await tx
      .insert(projects)
      .values({
        organizationId,
        id: input.id ?? randomId('proj'),
        name: input.name,
        metadata: input.metadata ?? {},
        createdAt: actor.now,
      })
      .onConflictDoNothing()
      .returning();
    if (!project)
      throw conflict('project_exists', `project "${input.id}" already exists in "${organizationId}"`);
    await recordAudit(tx, {
      actor: actor.actor,
      action: 'project.created',
      targetType: 'project',
      targetId: project.id,
      organizationId,
      after: project,
      requestId: actor.requestId,
    });
    return project;
  });
}

export async function listProjects(
  db: DbOrTx,
  organizationId: string,
  limit: number,
  startingAfter?: string,
) {
  await getOrganization(db, organizationId);
  const rows = await db
    .select()
    .from(projects)
    .where(
      and(
        eq(projects.organizationId, organizationId),
        startingAfter === undefined ? undefined : gt(projects.id, startingAfter),
      ),
    )
    .orderBy(asc(projects.id))
    .limit(limit + 1);
  return { projects: rows.slice(0, limit), hasMore: rows.length > limit };
}
