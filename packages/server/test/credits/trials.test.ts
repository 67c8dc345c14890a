import { and, eq } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { checkUserTrial } from '../../src/credits/index.js';
import { subscriptionHistory } from '../../src/db/schema/index.js';
import { describeEachDatabase, type Harness } from '../support/harness.js';
import { createOrganization } from './credit-api.js';

function check(
  h: Harness,
  input: { organization_id: string; user_id: string; consume?: boolean; key?: string; quantity?: number },
) {
  return checkUserTrial(h.tollgate.database.db, {
    organization_id: input.organization_id,
    user_id: input.user_id,
    quantity: input.quantity ?? 1,
    consume: input.consume ?? true,
    idempotency_key: input.key,
    now: h.clock.now,
    trial_plan_executions: h.tollgate.context.trialPlanExecutions,
  });
}

async function addMembers(h: Harness, organizationId: string, users: string[]) {
  for (const user of users) {
    const added = await h.request('POST', `/v1/organizations/${organizationId}/users`, {
      body: { id: user },
    });
    expect(added.status).toBe(201);
  }
}

describeEachDatabase(
  'per-user trials',
  (harness) => {
    it('gives each user of a trial organization their own executions, then trial_exhausted', async () => {
      const h = harness();
      await createOrganization(h, 'org_public', { trial_organization: true });
      await addMembers(h, 'org_public', ['ann', 'ben']);
      expect(await check(h, { organization_id: 'org_public', user_id: 'ann', key: 'a1' })).toMatchObject({
        applies: true,
        allowed: true,
        used: '1',
        remaining: '2',
      });
      // A retried request with the same key is counted once.
      expect(await check(h, { organization_id: 'org_public', user_id: 'ann', key: 'a1' })).toMatchObject({
        used: '1',
      });
      expect(await check(h, { organization_id: 'org_public', user_id: 'ann', quantity: 2 })).toMatchObject({
        allowed: true,
        used: '3',
        remaining: '0',
      });
      expect(await check(h, { organization_id: 'org_public', user_id: 'ann' })).toEqual({
        applies: true,
        allowed: false,
        reason: 'trial_exhausted',
        feature: 'agent_executions',
        limit: '3',
        used: '3',
        remaining: '0',
      });
      // Another user has a trial of their own; a check without consume counts nothing.
      expect(await check(h, { organization_id: 'org_public', user_id: 'ben', consume: false })).toMatchObject(
        {
          allowed: true,
          used: '0',
          remaining: '3',
        },
      );
      const ann = await h.request('GET', '/v1/users/ann/trial');
      expect(ann.body).toMatchObject({
        organization_id: 'org_public',
        used: '3',
        remaining: '0',
        exhausted: true,
      });
      const ben = await h.request('GET', '/v1/users/ben/trial');
      expect(ben.body).toMatchObject({ used: '0', remaining: '3', exhausted: false });
      // The moment Ann's trial ran out is in the plan history, once.
      const history = await h.tollgate.database.db
        .select()
        .from(subscriptionHistory)
        .where(
          and(
            eq(subscriptionHistory.organizationId, 'org_public'),
            eq(subscriptionHistory.change, 'user_trial_exhausted'),
          ),
        );
      expect(history).toHaveLength(1);
      expect(history[0]?.details).toMatchObject({ user_id: 'ann', used: '3', limit: '3' });
    });

    it('does not apply to a paid organization, whose executions are counted per organization', async () => {
      const h = harness();
      await createOrganization(h, 'org_paid');
      const answer = await check(h, { organization_id: 'org_paid', user_id: 'carl' });
      expect(answer).toEqual({ applies: false });
    });
  },
  { tollgate: { trialPlanExecutions: 3 } },
);
