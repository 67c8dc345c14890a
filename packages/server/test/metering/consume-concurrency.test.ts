import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl } from '../support/databases.js';
import { type Harness, startHarness } from '../support/harness.js';
import { createOrganization, sqlRows, usageOf } from './helpers.js';
import { meteringTestCatalog } from './test-catalog.js';

// PGlite runs one query at a time, so only real PostgreSQL can show what concurrency does.
describe.skipIf(!testDatabaseUrl)('consume under concurrency [postgres]', () => {
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
