import { describe, expect, it } from 'vitest';
import type { Aggregation } from '../src/catalog/schema.js';
import { toDecimal } from '../src/decimal.js';
import { foldHourlyRollups, hourOf } from '../src/metering/rollups.js';

const at = (hour: number, minute: number) => new Date(Date.UTC(2026, 10, 15, hour, minute));
const event = (organizationId: string, feature: string, quantity: number, timestamp: Date) => ({
  organizationId,
  feature,
  quantity: toDecimal(quantity),
  timestamp,
});
const aggregations: Record<string, Aggregation> = {
  tokens: 'sum',
  logins: 'count',
  storage: 'max',
  depth: 'latest',
  users: 'unique_count',
};

describe('foldHourlyRollups', () => {
  const rollups = foldHourlyRollups(
    [
      event('org_b', 'tokens', 5, at(9, 10)),
      event('org_a', 'tokens', 2, at(10, 59)),
      event('org_a', 'tokens', 3, at(9, 0)),
      event('org_a', 'tokens', 4, at(9, 30)),
      event('org_a', 'logins', 7, at(9, 1)),
      event('org_a', 'logins', 7, at(9, 2)),
      event('org_a', 'storage', 3, at(9, 5)),
      event('org_a', 'storage', 8, at(9, 1)),
      event('org_a', 'storage', 1, at(9, 50)),
      event('org_a', 'depth', 40, at(9, 40)),
      event('org_a', 'depth', 70, at(9, 20)),
      event('org_a', 'users', 1, at(9, 20)),
      event('org_a', 'unknown', 1, at(9, 20)),
    ],
    (feature) => aggregations[feature],
  );
  const summary = rollups.map((rollup) => [
    rollup.organizationId,
    rollup.feature,
    rollup.hour.toISOString().slice(11, 16),
    rollup.aggregation,
    rollup.value.toFixed(),
    rollup.lastEventAt.toISOString().slice(11, 16),
  ]);

  it('folds per organization, feature and UTC hour with each aggregation, in key order', () => {
    expect(summary).toEqual([
      ['org_a', 'depth', '09:00', 'latest', '40', '09:40'],
      ['org_a', 'logins', '09:00', 'count', '2', '09:02'],
      ['org_a', 'storage', '09:00', 'max', '8', '09:50'],
      ['org_a', 'tokens', '09:00', 'sum', '7', '09:30'],
      ['org_a', 'tokens', '10:00', 'sum', '2', '10:59'],
      ['org_b', 'tokens', '09:00', 'sum', '5', '09:10'],
    ]);
  });

  it('leaves out unique_count and features the catalog does not know', () => {
    expect(rollups.some((rollup) => rollup.feature === 'users' || rollup.feature === 'unknown')).toBe(false);
  });

  it('truncates to the UTC hour', () => {
    expect(hourOf(new Date('2026-11-15T09:59:59.999+05:30')).toISOString()).toBe('2026-11-15T04:00:00.000Z');
  });
});
