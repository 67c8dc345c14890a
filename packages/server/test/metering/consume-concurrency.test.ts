import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipUnless } from '../../../../test-support/skips.js';
import type { Tollgate } from '../../src/tollgate.js';
import { NEEDS_POSTGRES, testDatabaseUrl } from '../support/databases.js';
import { type Harness, startHarness } from '../support/harness.js';
import { startProcessesOnOneDatabase } from '../support/processes.js';
import { createOrganization, sqlRows, usageOf } from './helpers.js';
import { meteringTestCatalog } from './test-catalog.js';

// PGlite runs one query at a time, so only real PostgreSQL can show what concurrency does.
describe('consume under concurrency [postgres]', skipUnless(testDatabaseUrl, NEEDS_POSTGRES), () => {
  let started: Awaited<ReturnType<typeof startHarness>>;
  let harness: Harness;
  beforeAll(async () => {
    started = await startHarness({ name: 'postgres' }, { catalog: meteringTestCatalog });
    harness = started.harness;
  });
  afterAll(async () => started?.stop());

  const consume = (organizationId: string, quantity: number, idempotencyKey?: string) =>
    harness.request('POST', '/v1/check', {
      body: {
        organization_id: organizationId,
        feature: 'exports',
        quantity,
        consume: true,
        ...(idempotencyKey && { idempotency_key: idempotencyKey }),
      },
    });

  it('250 concurrent consumes on a hard cap of 100 never overspend', async () => {
    await createOrganization(harness, 'org_race', 'standard');
    const answers = await Promise.all(
      Array.from({ length: 250 }, (_, index) => consume('org_race', 1, `race-${index}`)),
    );
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    const allowed = answers.filter((answer) => answer.body.allowed).length;
    expect(allowed).toBe(100);
    expect(answers.filter((answer) => answer.body.reason === 'limit_exceeded')).toHaveLength(150);
    expect((await usageOf(harness, 'org_race', 'exports')).used).toBe(100);
    const [events] = await sqlRows<{ total: string }>(
      harness,
      `select coalesce(sum(quantity), 0)::text as total from usage_events where organization_id = 'org_race'`,
    );
    expect(events?.total).toBe('100');
  });

  it('mixed quantities: the total consumed equals what was allowed and stays within the limit', async () => {
    await createOrganization(harness, 'org_mixed', 'standard');
    const quantities = Array.from({ length: 220 }, (_, index) => (index % 3) + 1);
    const answers = await Promise.all(
      quantities.map((quantity, index) => consume('org_mixed', quantity, `mixed-${index}`)),
    );
    const allowedTotal = answers.reduce(
      (total, answer, index) => total + (answer.body.allowed ? (quantities[index] ?? 0) : 0),
      0,
    );
    const used = (await usageOf(harness, 'org_mixed', 'exports')).used;
    expect(used).toBe(allowedTotal);
    expect(used).toBeLessThanOrEqual(100);
    // 440 units were asked for: the limit is reached except for a remainder too small for any request left.
    expect(used).toBeGreaterThanOrEqual(98);
  });

  it('the same idempotency key sent 50 times at once consumes once and answers alike', async () => {
    await createOrganization(harness, 'org_retry', 'standard');
    const answers = await Promise.all(Array.from({ length: 50 }, () => consume('org_retry', 7, 'one-job')));
    expect(new Set(answers.map((answer) => JSON.stringify(answer.body))).size).toBe(1);
    expect(answers[0]?.body).toMatchObject({ allowed: true, used: 7 });
    expect((await usageOf(harness, 'org_retry', 'exports')).used).toBe(7);
  });
});

// Two server processes on one database, each deciding consumes on the usage it remembers: what one
// remembers goes stale with every batch of the other, and the one-statement path must notice.
describe('consume in two processes at once [postgres]', skipUnless(testDatabaseUrl, NEEDS_POSTGRES), () => {
  let started: Awaited<ReturnType<typeof startProcessesOnOneDatabase>>;
  beforeAll(async () => {
    started = await startProcessesOnOneDatabase(2, meteringTestCatalog);
  });
  afterAll(async () => started?.stop());
  const consume = (tollgate: Tollgate, key: string) =>
    started.call(tollgate, 'POST', '/v1/check', {
      organization_id: 'org_two',
      feature: 'exports',
      quantity: 1,
      consume: true,
      idempotency_key: key,
    });

  it('never overspend a hard cap of 100 with 2 × 150 concurrent consumes', async () => {
    const { processes, call } = started;
    const [first, second] = processes as [Tollgate, Tollgate];
    const created = await call(first, 'POST', '/v1/organizations', {
      id: 'org_two',
      name: 'Two',
      plan: 'standard',
    });
    expect(created.status).toBe(201);
    // One consume each, one after the other, so both remember the counter before the race.
    expect((await consume(first, 'warm-1')).body).toMatchObject({ allowed: true, used: 1 });
    expect((await consume(second, 'warm-2')).body).toMatchObject({ allowed: true, used: 2 });
    const answers = await Promise.all(
      Array.from({ length: 150 }, (_, index) => [
        consume(first, `first-${index}`),
        consume(second, `second-${index}`),
      ]).flat(),
    );
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    expect(answers.filter((answer) => answer.body.allowed)).toHaveLength(98);
    expect(answers.filter((answer) => answer.body.reason === 'limit_exceeded')).toHaveLength(202);
    const usage = await call(first, 'GET', '/v1/organizations/org_two/usage');
    expect(usage.body.features.find((line: { feature: string }) => line.feature === 'exports').used).toBe(
      100,
    );
    // Each process found, at least once, that the other had moved the counter it remembered.
    const batches = processes.map((tollgate) => tollgate.context.metering.checks.consumeBatches);
    expect(batches.reduce((total, entry) => total + entry.changed, 0)).toBeGreaterThan(0);
    expect(batches.every((entry) => entry.fromMemory + entry.changed > 0)).toBe(true);
  });
});
