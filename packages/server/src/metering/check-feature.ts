import {
  type BillingContext,
  type Catalog,
  counterPeriodAt,
  type Decimal,
  decideCheck,
  isSubscriptionActive,
} from '@tollgate/core';
import type { DbOrTx } from '../db/transaction.js';
import { badRequest, notFound } from '../errors.js';
import { countMembers } from '../members/service.js';
import { loadBillingContexts } from './billing-contexts.js';
import { type CheckAnswer, toCheckAnswer } from './check-answer.js';
import { consumeFeature } from './consume-feature.js';
import { readCounter } from './read-counter.js';

export type CheckInput = {
  organizationId: string;
  feature: string;
  quantity: Decimal;
  projectId?: string | undefined;
  userId?: string | undefined;
  consume: boolean;
  idempotencyKey?: string | undefined;
};

/** Answers "may this organization use `quantity` more of `feature` now?", consuming it atomically if asked. */
export async function checkFeature(
  db: DbOrTx,
  catalog: Catalog,
  input: CheckInput,
  now: Date,
): Promise<CheckAnswer> {
  const feature = catalog.feature(input.feature);
  if (!feature) throw badRequest('unknown_feature', `feature "${input.feature}" is not in the catalog`);
  const context = (await loadBillingContexts(db, [input.organizationId], catalog.defaultPlanCode)).get(
    input.organizationId,
  );
  if (!context) throw notFound('organization', input.organizationId);
  if (input.consume && feature.kind === 'seats') {
    throw badRequest(
      'not_consumable',
      'seats follow the organization members; add a member instead of consuming',
    );
  }
  if (input.consume && feature.kind === 'metered') return consumeFeature(db, catalog, context, input, now);
  return decideWithoutConsuming(db, catalog, context, input, now);
}

async function decideWithoutConsuming(
  db: DbOrTx,
  catalog: Catalog,
  context: BillingContext,
  input: CheckInput,
  now: Date,
): Promise<CheckAnswer> {
  const feature = catalog.feature(input.feature);
  const planFeature = catalog.planFeature(context.planCode, input.feature);
  let used: Decimal | number = 0;
  if (feature?.kind === 'seats') used = await countMembers(db, input.organizationId);
  else if (feature?.kind === 'metered' && typeof planFeature === 'object') {
    used = await readCounter(
      db,
      input.organizationId,
      input.feature,
      counterPeriodAt(feature.reset, context, now),
    );
  }
  const decision = decideCheck({
    planFeature,
    used,
    quantity: input.quantity,
    defaultGracePercent: catalog.definition.metering.default_grace_percent,
    subscriptionActive: isSubscriptionActive(context.status),
  });
  return toCheckAnswer(input.feature, decision, catalog, context.planCode);
}
