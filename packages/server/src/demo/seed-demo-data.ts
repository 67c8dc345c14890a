import type { Catalog } from '@tollgate/core';
import { count } from 'drizzle-orm';
import { organizations } from '../db/schema/index.js';
import type { DbOrTx } from '../db/transaction.js';
import { addMember } from '../members/service.js';
import { createOrganization } from '../organizations/service.js';
import { createProject } from '../projects/service.js';

const DEMO = [
  { id: 'acme', name: 'Acme Corp', email: 'billing@acme.test', plan: 'standard', users: ['ada', 'grace'] },
  { id: 'globex', name: 'Globex', email: 'finance@globex.test', plan: 'enterprise', users: ['hank'] },
  { id: 'initech', name: 'Initech', email: 'peter@initech.test', plan: undefined, users: ['peter'] },
];

/** Creates a few demo organizations on an empty database; does nothing once any organization exists. */
export async function seedDemoData(db: DbOrTx, catalog: Catalog, now: Date): Promise<string[]> {
  const [existing] = await db.select({ total: count() }).from(organizations);
  if ((existing?.total ?? 0) > 0) return [];
  const actor = { actor: 'system:demo', requestId: null, now };
  for (const demo of DEMO) {
    const plan = demo.plan && catalog.plan(demo.plan) ? demo.plan : undefined;
    await createOrganization(db, catalog, { id: demo.id, name: demo.name, email: demo.email, plan }, actor);
    await createProject(db, demo.id, { id: 'default', name: 'Default project' }, actor);
    for (const user of demo.users) {
      await addMember(
        db,
        catalog,
        demo.id,
        { userId: user, email: `${user}@${demo.id}.test`, role: 'member' },
        actor,
      );
    }
  }
  return DEMO.map((demo) => demo.id);
}
