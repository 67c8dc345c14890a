import { billingPeriodAt, type Catalog, rollsUp, toDecimal } from '@tollgate/core';
import { queryRows } from '../../db/query-rows.js';
import type { DbOrTx } from '../../db/transaction.js';
import { badRequest, notFound } from '../../errors.js';
import { loadBillingContexts } from '../billing-contexts.js';
import { jsonNumber } from '../check-answer.js';
import { bucketsFromRollups } from '../tables/usage-rollups.js';
import {
  BUCKET_MS,
  bucketOf,
  bucketsFromUniqueValues,
  type Granularity,
} from '../tables/usage-unique-buckets.js';

export type { Granularity } from '../tables/usage-unique-buckets.js';

/** Enough for a month by the hour or a year by the day, without unbounded responses. */
const MAX_BUCKETS = 24 * 31 + 1;

/**
 * A time series of one feature, bucketed in UTC: from the hourly rollups, except unique_count, whose
 * distinct values do not add across buckets and are counted from each bucket's distinct values
 * (unique-buckets.ts). Additive meters get a point per bucket (0 when nothing happened); gauges (max,
 * latest) only where they were reported.
 */
export async function usageHistory(
  db: DbOrTx,
  catalog: Catalog,
  input: {
    organizationId: string;
    feature: string;
    granularity: Granularity;
    /** One project's usage only (read from its events: rollups are kept per organization). */
    projectId?: string | undefined;
    from?: Date | undefined;
    to?: Date | undefined;
  },
  now: Date,
) {
  const feature = catalog.feature(input.feature);
  if (!feature) throw badRequest('unknown_feature', `feature "${input.feature}" is not in the catalog`);
  const context = (await loadBillingContexts(db, [input.organizationId], catalog)).get(input.organizationId);
  if (!context) throw notFound('organization', input.organizationId);
  const step = BUCKET_MS[input.granularity];
  const from = bucketOf(input.granularity, input.from ?? billingPeriodAt(context, now).start);
  // By default the series runs to the end of the bucket holding `now`, so the latest usage shows.
  const to = input.to ?? new Date(bucketOf(input.granularity, now).getTime() + step);
  if (to <= from) throw badRequest('invalid_range', '"to" must be after "from"');
  if ((to.getTime() - from.getTime()) / step > MAX_BUCKETS) {
    throw badRequest('range_too_large', `at most ${MAX_BUCKETS} ${input.granularity} buckets per request`);
  }
  const rows = await queryRows<{ bucket: Date | string; value: string }>(
    db,
    rollsUp(feature.aggregation)
      ? bucketsFromRollups(input, feature.aggregation, from, to)
      : bucketsFromUniqueValues(input, feature.unique_property ?? '', from, to),
  );
  const byBucket = new Map(rows.map((row) => [new Date(row.bucket).getTime(), toDecimal(row.value)]));
  const additive = feature.aggregation !== 'max' && feature.aggregation !== 'latest';
  const points: { start: string; value: number }[] = [];
  for (let start = from.getTime(); start < to.getTime(); start += step) {
    const found = byBucket.get(start);
    if (found !== undefined || additive) {
      points.push({ start: new Date(start).toISOString(), value: found ? jsonNumber(found) : 0 });
    }
  }
  return {
    organization_id: input.organizationId,
    feature: input.feature,
    granularity: input.granularity,
    from: from.toISOString(),
    to: to.toISOString(),
    points,
  };
}
