import { eq, sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { organizations } from '../src/db/schema/index.js';
import { withTransaction } from '../src/db/transaction.js';
import { createOrganization } from '../src/organizations/service.js';
import { describeEachDatabase } from './support/harness.js';

describeEachDatabase('transactions', (harness) => {
  const actor = () => ({ actor: 'test', requestId: null, now: harness().clock.now });

  it('joins an outer transaction: a later failure rolls back what the inner service wrote', async () => {
    const { db } = harness().tollgate.context;
    const catalog = harness().tollgate.context.catalog;
    await expect(
      withTransaction(db, async (tx) => {
        await createOrganization(tx, catalog, { id: 'rolled_back', name: 'Gone' }, actor());
        const [inside] = await tx.select().from(organizations).where(eq(organizations.id, 'rolled_back'));
        expect(inside?.name).toBe('Gone');
        throw new Error('abort the outer transaction');
      }),
    ).rejects.toThrow('abort the outer transaction');
    expect(await db.select().from(organizations).where(eq(organizations.id, 'rolled_back'))).toEqual([]);
    const audit = await db.execute(
      sql`select count(*)::int as n from audit_log where target_id = 'rolled_back'`,
    );
    expect(audit.rows).toEqual([{ n: 0 }]);
  });

  it('commits when the outer transaction commits', async () => {
    const { db, catalog } = harness().tollgate.context;
    await withTransaction(db, (tx) => createOrganization(tx, catalog, { id: 'kept', name: 'Kept' }, actor()));
    const [row] = await db.select().from(organizations).where(eq(organizations.id, 'kept'));
    expect(row?.name).toBe('Kept');
  });
});
