import { toDecimal } from '@tollgate/core';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../../src/db/client.js';
import { createCheckAnswers } from '../../src/metering/check/check-answers.js';
import type { CheckState, CheckStateRequest } from '../../src/metering/check/check-state.js';
import {
  CHECK_STATE_CHANGED_CHANNEL,
  type CheckStateCache,
  createCheckStateCache,
} from '../../src/metering/check/check-state-cache.js';
import type { CounterDelta } from '../../src/metering/tables/usage-counters.js';

// The cache's bookkeeping, with a real (embedded) database carrying the notifications and a load
// the test controls, so that it can count reads and hold one open while an invalidation overtakes it.

const NOVEMBER = new Date('2026-11-15T12:00:00Z');
const request = (organizationId: string, now = NOVEMBER): CheckStateRequest => ({
  organizationId,
  feature: { code: 'api_calls', reset: 'billing_period' },
  now,
});
// The free plan has no subscription, so its counters follow the calendar month.
const NOVEMBER_START = new Date('2026-11-01T00:00:00Z');
const deltaOf = (
  organizationId: string,
  value: number,
  options: { aggregation?: CounterDelta['aggregation']; periodStart?: Date; projectId?: string } = {},
): CounterDelta => ({
  organizationId,
  feature: 'api_calls',
  periodStart: options.periodStart ?? NOVEMBER_START,
  periodEnd: new Date('2026-12-01T00:00:00Z'),
  projectId: options.projectId ?? '',
  aggregation: options.aggregation ?? 'sum',
  value: toDecimal(value),
  lastEventAt: NOVEMBER,
});

const stateWith = (used: number): CheckState => ({
  context: { planCode: 'free', status: null, interval: null, anchor: null, currentPeriod: null },
  used: toDecimal(used),
  trialOrganization: false,
});

describe('check state cache', () => {
  let database: DatabaseHandle;
  let cache: CheckStateCache;
  let loads: string[];
  let usedInDatabase: number;
  let hold: Promise<void> | undefined;

  const notify = async (payload: string) => {
    await database.db.execute(sql`select pg_notify(${CHECK_STATE_CHANGED_CHANNEL}, ${payload})`);
  };

  beforeAll(async () => {
    database = await openDatabase({ dataDir: null });
  });
  afterAll(async () => {
    await database.close();
  });
  beforeEach(async () => {
    loads = [];
    usedInDatabase = 1;
    hold = undefined;
    cache = await createCheckStateCache(database, async (loaded) => {
      loads.push(loaded.organizationId);
      const used = usedInDatabase;
      await hold;
      return stateWith(used);
    });
  });
  afterEach(async () => {
    await cache.close();
  });

  it('answers a repeated check from memory, without a second read', async () => {
    expect((await cache.get(request('org_a')))?.used.toNumber()).toBe(1);
    usedInDatabase = 2;
    expect((await cache.get(request('org_a')))?.used.toNumber()).toBe(1);
    expect(loads).toEqual(['org_a']);
  });

  it('reads again after a usage notification, keeping the billing state', async () => {
    await cache.get(request('org_a'));
    await cache.get(request('org_b'));
    usedInDatabase = 7;
    await notify('usage\norg_a');
    expect((await cache.get(request('org_a')))?.used.toNumber()).toBe(7);
    expect((await cache.get(request('org_b')))?.used.toNumber()).toBe(1);
    await cache.getBilling(request('org_a'));
    expect(loads).toEqual(['org_a', 'org_b', 'org_a']);
  });

  it('reads the billing state again after a billing notification, counters included', async () => {
    await cache.get(request('org_a'));
    await notify('billing\norg_a');
    await cache.getBilling(request('org_a'));
    await cache.get(request('org_a'));
    expect(loads).toEqual(['org_a', 'org_a']);
  });

  it('offers the billing state it remembers to ingestion, until a billing notification forgets it', async () => {
    expect(cache.rememberedBilling('org_a')).toBeUndefined();
    await cache.get(request('org_a'));
    expect(cache.rememberedBilling('org_a')?.context.planCode).toBe('free');
    await notify('usage\norg_a');
    expect(cache.rememberedBilling('org_a')?.context.planCode).toBe('free');
    await notify('billing\norg_a');
    expect(cache.rememberedBilling('org_a')).toBeUndefined();
    expect(loads).toEqual(['org_a']);
  });

  it('offers nothing to ingestion once it stops listening', async () => {
    await cache.get(request('org_a'));
    await cache.close();
    expect(cache.rememberedBilling('org_a')).toBeUndefined();
  });

  it('does not remember a read that an invalidation overtook', async () => {
    let release = () => {};
    hold = new Promise((resolve) => (release = resolve));
    const overtaken = cache.get(request('org_a'));
    await new Promise((resolve) => setImmediate(resolve));
    cache.invalidateUsage(['org_a']);
    release();
    expect((await overtaken)?.used.toNumber()).toBe(1);
    hold = undefined;
    usedInDatabase = 3;
    // Had the overtaken read been remembered, this would answer 1 without reading.
    expect((await cache.get(request('org_a')))?.used.toNumber()).toBe(3);
    expect((await cache.get(request('org_a')))?.used.toNumber()).toBe(3);
    expect(loads).toEqual(['org_a', 'org_a']);
  });

  it('reads again once the period it remembered has ended', async () => {
    await cache.get(request('org_a'));
    await cache.get(request('org_a', new Date('2026-11-30T23:59:59Z')));
    await cache.get(request('org_a', new Date('2026-12-01T00:00:00Z')));
    expect(loads).toEqual(['org_a', 'org_a']);
  });

  it('forgets only the organizations a notification names, one per line', async () => {
    await cache.get(request('org_a'));
    await notify('usage\norg_0\norg_1\norg_2');
    await cache.get(request('org_a'));
    // Ids are split on newlines only: "org_a,org_b" is one (odd but valid) id, not org_a.
    await notify('usage\norg_a,org_b');
    await cache.get(request('org_a'));
    expect(loads).toEqual(['org_a']);
    await notify('usage\norg_b\norg_a');
    await cache.get(request('org_a'));
    expect(loads).toEqual(['org_a', 'org_a']);
  });

  describe("this process's own counter writes", () => {
    it('move a remembered counter by what they committed, without a read', async () => {
      await cache.get(request('org_a'));
      const write = cache.beginUsageWrite();
      write.committed([deltaOf('org_a', 5), deltaOf('org_a', 5, { projectId: 'web' })]);
      expect((await cache.get(request('org_a')))?.used.toNumber()).toBe(6);
      // A max counter keeps the larger, whatever order the writes committed in.
      cache.beginUsageWrite().committed([deltaOf('org_a', 4, { aggregation: 'max' })]);
      expect((await cache.get(request('org_a')))?.used.toNumber()).toBe(6);
      expect(loads).toEqual(['org_a']);
    });

    it('leave no answer remembered on the counter they moved standing', async () => {
      const answers = createCheckAnswers();
      const state = (await cache.get(request('org_a'))) as CheckState;
      const question = {
        organizationId: 'org_a',
        feature: 'api_calls',
        quantity: toDecimal(1),
        consume: false,
      };
      const answer = {
        allowed: true,
        feature: 'api_calls',
        limit: 10,
        used: 1,
        remaining: 9,
        cap: 'hard' as const,
      };
      answers.remember(state, state.used, question, answer);
      cache.beginUsageWrite().committed([deltaOf('org_a', 5)]);
      const moved = (await cache.get(request('org_a'))) as CheckState;
      expect(moved.used.toNumber()).toBe(6);
      expect(answers.get(moved, question)).toBeUndefined();
      expect(loads).toEqual(['org_a']);
    });

    it('announced under their own writer do not make it read again; anyone else does', async () => {
      await cache.get(request('org_a'));
      await notify(`usage ${cache.beginUsageWrite().writer}\norg_a`);
      await cache.get(request('org_a'));
      expect(loads).toEqual(['org_a']);
      await notify('usage another_process\norg_a');
      await cache.get(request('org_a'));
      expect(loads).toEqual(['org_a', 'org_a']);
    });

    it('forget a counter remembered after the write began, which may already hold it', async () => {
      const write = cache.beginUsageWrite();
      await cache.get(request('org_a'));
      usedInDatabase = 5;
      write.committed([deltaOf('org_a', 4)]);
      // Moved, it would say 5 + 4; read again, it says what the database holds.
      expect((await cache.get(request('org_a')))?.used.toNumber()).toBe(5);
      expect(loads).toEqual(['org_a', 'org_a']);
    });

    it('forget a latest counter, and one whose write may or may not have committed', async () => {
      await cache.get(request('org_a'));
      await cache.get(request('org_b'));
      cache.beginUsageWrite().committed([deltaOf('org_a', 9, { aggregation: 'latest' })]);
      cache.beginUsageWrite().uncertain(['org_b']);
      usedInDatabase = 9;
      expect((await cache.get(request('org_a')))?.used.toNumber()).toBe(9);
      expect((await cache.get(request('org_b')))?.used.toNumber()).toBe(9);
      expect(loads).toEqual(['org_a', 'org_b', 'org_a', 'org_b']);
    });

    it("leave another period's counter as it is", async () => {
      await cache.get(request('org_a'));
      cache
        .beginUsageWrite()
        .committed([deltaOf('org_a', 3, { periodStart: new Date('2026-10-01T00:00:00Z') })]);
      expect((await cache.get(request('org_a')))?.used.toNumber()).toBe(1);
      expect(loads).toEqual(['org_a']);
    });

    it('do not let a read under way at commit be remembered', async () => {
      let release = () => {};
      hold = new Promise((resolve) => (release = resolve));
      const write = cache.beginUsageWrite();
      const underWay = cache.get(request('org_a'));
      await new Promise((resolve) => setImmediate(resolve));
      write.committed([deltaOf('org_a', 2)]);
      release();
      await underWay;
      hold = undefined;
      usedInDatabase = 3;
      expect((await cache.get(request('org_a')))?.used.toNumber()).toBe(3);
      expect(loads).toEqual(['org_a', 'org_a']);
    });
  });

  it('reads every time once it stops listening', async () => {
    await cache.close();
    await cache.get(request('org_a'));
    await cache.get(request('org_a'));
    expect(loads).toEqual(['org_a', 'org_a']);
  });
});
