import { type BillingContext, Catalog, demoCatalog } from '@tollgate/core';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../../src/db/client.js';
import { createMeteringCaches } from '../../src/metering/caches.js';
import {
  CHECK_STATE_CHANGED_CHANNEL,
  parseCheckStateChange,
} from '../../src/metering/check/check-state-cache.js';
import { type BillingMemory, createBillingMemory } from '../../src/metering/ingest/billing-memory.js';

// The ingest worker's memory of billing contexts, with a real (embedded) database carrying the
// triggers' notifications and loads the test controls, so that one can be held open while an
// invalidation overtakes it.

const contextOn = (planCode: string): BillingContext => ({
  planCode,
  status: null,
  interval: null,
  anchor: null,
  currentPeriod: null,
});
const loaded = (...organizationIds: string[]) =>
  new Map(organizationIds.map((organizationId) => [organizationId, contextOn('free')]));

describe('billing memory of the ingest worker', () => {
  let database: DatabaseHandle;
  let memory: BillingMemory;
  const notify = async (payload: string) => {
    await database.db.execute(sql`select pg_notify(${CHECK_STATE_CHANGED_CHANNEL}, ${payload})`);
  };
  /** Notifications arrive asynchronously: waits until `condition` holds, or fails. */
  const eventually = async (condition: () => boolean) => {
    for (let attempt = 0; attempt < 200 && !condition(); attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(condition()).toBe(true);
  };

  beforeAll(async () => {
    database = await openDatabase({ dataDir: null });
  });
  afterAll(async () => {
    await database.close();
  });
  beforeEach(async () => {
    memory = await createBillingMemory(database, { maxOrganizations: 3 });
  });
  afterEach(async () => {
    await memory.close();
  });

  it('offers what a load read, and forgets an organization when a billing change of it is announced', async () => {
    expect(memory.rememberedBilling('org_a')).toBeUndefined();
    const answer = await memory.loadAndRemember(async () => loaded('org_a', 'org_b'));
    expect([...answer.keys()]).toEqual(['org_a', 'org_b']);
    expect(memory.rememberedBilling('org_a')?.context.planCode).toBe('free');
    await notify('billing\norg_a');
    await eventually(() => memory.rememberedBilling('org_a') === undefined);
    expect(memory.rememberedBilling('org_b')?.context.planCode).toBe('free');
  });

  it('keeps contexts through usage announcements, whoever wrote the counters', async () => {
    await memory.loadAndRemember(async () => loaded('org_a', 'org_z'));
    await notify('usage\norg_a');
    await notify('usage some-writer\norg_a');
    // Notifications arrive in order: once this one has forgotten org_z, the two before it were handled.
    await notify('billing\norg_z');
    await eventually(() => memory.rememberedBilling('org_z') === undefined);
    expect(memory.rememberedBilling('org_a')?.context.planCode).toBe('free');
  });

  it("forgets at once what this process's own billing changes name", async () => {
    await memory.loadAndRemember(async () => loaded('org_a', 'org_b'));
    memory.forget(['org_b']);
    expect(memory.rememberedBilling('org_b')).toBeUndefined();
    expect(memory.rememberedBilling('org_a')).toBeDefined();
  });

  it('answers a load that a change overtook but does not remember the changed organization', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const load = memory.loadAndRemember(async () => {
      await held;
      return loaded('org_a', 'org_b');
    });
    memory.forget(['org_a']);
    release();
    expect([...(await load).keys()]).toEqual(['org_a', 'org_b']);
    expect(memory.rememberedBilling('org_a')).toBeUndefined();
    expect(memory.rememberedBilling('org_b')).toBeDefined();
    // A later load, begun after the change, is remembered.
    await memory.loadAndRemember(async () => loaded('org_a'));
    expect(memory.rememberedBilling('org_a')).toBeDefined();
  });

  it('starts again when full, rather than growing past its bound', async () => {
    await memory.loadAndRemember(async () => loaded('org_a', 'org_b', 'org_c'));
    expect(memory.rememberedBilling('org_c')).toBeDefined();
    await memory.loadAndRemember(async () => loaded('org_d'));
    expect(memory.rememberedBilling('org_d')).toBeDefined();
    expect(['org_a', 'org_b', 'org_c'].map((id) => memory.rememberedBilling(id))).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('offers nothing, and remembers nothing, once it stops listening', async () => {
    await memory.loadAndRemember(async () => loaded('org_a'));
    await memory.close();
    expect(memory.rememberedBilling('org_a')).toBeUndefined();
    await memory.loadAndRemember(async () => loaded('org_b'));
    expect(memory.rememberedBilling('org_b')).toBeUndefined();
  });
});

describe("this process's own billing changes", () => {
  it('are told to the subscribers of the metering caches (the ingest worker), until they unsubscribe', async () => {
    const database = await openDatabase({ dataDir: null });
    try {
      const caches = await createMeteringCaches(database, Catalog.from(demoCatalog));
      const told: string[][] = [];
      const unsubscribe = caches.onBillingInvalidated((organizationIds) => told.push([...organizationIds]));
      caches.invalidateBilling(new Set(['org_a', 'org_b']));
      unsubscribe();
      caches.invalidateBilling(['org_c']);
      expect(told).toEqual([['org_a', 'org_b']]);
      await caches.close();
    } finally {
      await database.close();
    }
  });
});

describe('check state announcements', () => {
  it('read as billing or usage, with the writer a counter write named', () => {
    expect(parseCheckStateChange('billing\norg_a\norg_b')).toEqual({
      kind: 'billing',
      organizationIds: ['org_a', 'org_b'],
    });
    expect(parseCheckStateChange('usage\norg_a')).toEqual({
      kind: 'usage',
      writer: undefined,
      organizationIds: ['org_a'],
    });
    expect(parseCheckStateChange('usage 0f1e\norg_a')).toEqual({
      kind: 'usage',
      writer: '0f1e',
      organizationIds: ['org_a'],
    });
    // Anything unknown forgets more rather than less.
    expect(parseCheckStateChange('usagex\norg_a').kind).toBe('billing');
  });
});
