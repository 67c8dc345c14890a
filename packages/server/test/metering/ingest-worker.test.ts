import { readdirSync, readFileSync } from 'node:fs';
import { Catalog, demoCatalog } from '@tollgate/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipUnless } from '../../../../test-support/skips.js';
import { loadConfig } from '../../src/config.js';
import { databaseFaultOf } from '../../src/db/database-faults.js';
import { AppError } from '../../src/errors.js';
import { describeFailure, errorOf } from '../../src/metering/ingest/ingest-worker-messages.js';
import { workerExecArgv } from '../../src/metering/ingest/ingest-worker-thread.js';
import { lowerThreadPriority } from '../../src/metering/ingest/thread-priority.js';
import { createTollgate } from '../../src/tollgate.js';
import { createScratchDatabase, NEEDS_POSTGRES, testDatabaseUrl } from '../support/databases.js';
import { type Harness, startHarness } from '../support/harness.js';
import { startServerProcess } from '../support/server-process.js';
import { createOrganization, ingest, sqlRows } from './helpers.js';

// With PostgreSQL, POST /v1/events is stored by a worker thread (decision 21); the request thread's
// checks keep answering from memory, moved by what the worker reports committed.

describe('ingestion in a worker thread [postgres]', skipUnless(testDatabaseUrl, NEEDS_POSTGRES), () => {
  let started: Awaited<ReturnType<typeof startHarness>>;
  let harness: Harness;
  beforeAll(async () => {
    started = await startHarness({ name: 'postgres' });
    harness = started.harness;
  });
  afterAll(async () => {
    await started?.stop();
  });

  const check = async (organizationId: string) => {
    const response = await harness.request('POST', '/v1/check', {
      body: { organization_id: organizationId, feature: 'api_calls' },
    });
    expect(response.status).toBe(200);
    return response.body as { used: number; remaining: number };
  };
  const rememberedUsed = (organizationId: string) =>
    harness.tollgate.context.metering.caches.checkStates
      .peek({
        organizationId,
        feature: { code: 'api_calls', reset: 'billing_period' },
        now: harness.clock.now,
      })
      ?.used.toNumber();

  it("moves the checks' remembered counter by what the worker committed, without forgetting it", async () => {
    await createOrganization(harness, 'org_worker_moves');
    // The creation's own notification may land after the first check and forget what it read: check
    // until the state stays remembered.
    for (let attempt = 0; attempt < 100 && rememberedUsed('org_worker_moves') === undefined; attempt += 1) {
      expect((await check('org_worker_moves')).used).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(rememberedUsed('org_worker_moves')).toBe(0);
    const events = [1, 2, 3].map((n) => ({
      id: `w${n}`,
      organization_id: 'org_worker_moves',
      event: 'api_calls',
    }));
    const stored = await ingest(harness, events);
    expect(stored.body).toEqual({ accepted: 3, duplicates: 0, rejected: [] });
    // Still remembered (a foreign write would have made it forgotten), and moved by the three events.
    expect(rememberedUsed('org_worker_moves')).toBe(3);
    expect((await check('org_worker_moves')).used).toBe(3);
    // The same events again are duplicates: nothing moves.
    expect((await ingest(harness, events)).body).toEqual({ accepted: 0, duplicates: 3, rejected: [] });
    expect(rememberedUsed('org_worker_moves')).toBe(3);
  });

  it("counts events in the new plan's period right after this process changes the plan", async () => {
    await createOrganization(harness, 'org_worker_plan');
    // The worker reads the free plan's context (calendar month) and remembers it.
    const first = [{ id: 'p1', organization_id: 'org_worker_plan', event: 'api_calls' }];
    expect((await ingest(harness, first)).body.accepted).toBe(1);
    expect((await check('org_worker_plan')).used).toBe(1);
    // A manual subscription starts its period now, mid-month: the remembered context is stale.
    const moved = await harness.request('PATCH', '/v1/organizations/org_worker_plan', {
      body: { plan: 'standard' },
    });
    expect(moved.status).toBe(200);
    expect(moved.body.subscription.current_period_start).toBe(harness.clock.now.toISOString());
    const second = [{ id: 'p2', organization_id: 'org_worker_plan', event: 'api_calls' }];
    expect((await ingest(harness, second)).body.accepted).toBe(1);
    // Counted in the new period, not in the month the worker remembered.
    expect((await check('org_worker_plan')).used).toBe(1);
    const counters = await sqlRows<{ period_start: Date; used: string }>(
      harness,
      "select period_start, used::text from usage_counters where organization_id = 'org_worker_plan' and feature = 'api_calls' and project_id = '' order by period_start",
    );
    expect(counters.map((row) => [new Date(row.period_start).toISOString(), row.used])).toEqual([
      ['2026-11-01T00:00:00.000Z', '1'],
      [harness.clock.now.toISOString(), '1'],
    ]);
  });

  it('answers an organization the worker cannot find per event, as the request thread would', async () => {
    const response = await ingest(harness, [
      { id: 'x1', organization_id: 'org_nowhere', event: 'api_calls' },
    ]);
    expect(response.status).toBe(200);
    expect(response.body.rejected).toEqual([
      { index: 0, code: 'organization_not_found', message: 'organization "org_nowhere" not found' },
    ]);
  });

  it("runs at nice 10 by default while this process's main thread keeps its own priority", () => {
    expect(harness.tollgate.context.metering.ingestion.placement).toBe('a worker thread, nice 10');
    if (process.platform !== 'linux') return;
    // Field 19 of /proc/<pid>/task/<tid>/stat is the thread's niceness; the command name before it may hold spaces.
    const niceOf = (threadId: string) =>
      Number(readFileSync(`/proc/self/task/${threadId}/stat`, 'utf8').split(') ')[1]?.split(' ')[16]);
    const threads = readdirSync('/proc/self/task');
    expect(niceOf(String(process.pid))).toBe(0);
    expect(threads.filter((threadId) => niceOf(threadId) === 10)).toHaveLength(1);
  });

  it('answers 503 ingestion_unavailable once the worker is closed, and checks still read', async () => {
    await createOrganization(harness, 'org_worker_closed');
    await harness.tollgate.context.metering.ingestion.close();
    const response = await ingest(harness, [
      { id: 'c1', organization_id: 'org_worker_closed', event: 'api_calls' },
    ]);
    expect(response.status).toBe(503);
    expect(response.body.error.code).toBe('ingestion_unavailable');
    expect((await check('org_worker_closed')).used).toBe(0);
  });
});

describe(
  'the built server with V8 flags, as an operator starts it [postgres]',
  skipUnless(testDatabaseUrl, NEEDS_POSTGRES),
  () => {
    it('starts its worker and stores events (a worker refuses V8 flags given to it explicitly)', async () => {
      const database = await createScratchDatabase();
      try {
        const adminKey = 'tg_sk_worker_v8_flags_0123456789abcdef';
        const server = await startServerProcess(
          { DATABASE_URL: database.url, TOLLGATE_ADMIN_KEY: adminKey, DEMO_DATA: 'false' },
          ['--max-old-space-size=512', '--stack-size=900'],
        );
        try {
          const call = async (method: string, path: string, body: unknown) => {
            const response = await fetch(`${server.url}${path}`, {
              method,
              headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
              body: JSON.stringify(body),
            });
            return { status: response.status, body: (await response.json()) as any };
          };
          const created = await call('POST', '/v1/organizations', {
            id: 'org_v8_flags',
            name: 'Flags',
            plan: 'free',
          });
          expect(created.status).toBe(201);
          const stored = await call('POST', '/v1/events', {
            events: [{ id: 'f1', organization_id: 'org_v8_flags', event: 'api_calls' }],
          });
          expect(stored).toEqual({ status: 200, body: { accepted: 1, duplicates: 0, rejected: [] } });
        } finally {
          await server.stop();
        }
      } finally {
        await database.drop();
      }
    });
  },
);

describe("the worker's node flags", () => {
  it('are inherited (none given) unless export conditions must be dropped, and then only those go', () => {
    expect(workerExecArgv(['--max-old-space-size=512', '--enable-source-maps'])).toBeUndefined();
    expect(workerExecArgv([])).toBeUndefined();
    expect(
      workerExecArgv(['--conditions', 'source', '--enable-source-maps', '-C', 'dev', '--conditions=x']),
    ).toEqual(['--enable-source-maps']);
  });
});

describe('where ingestion runs', () => {
  it('is in a worker by default, and INGEST_IN_WORKER=false keeps it on the request thread', () => {
    expect(loadConfig({}).ingestInWorker).toBe(true);
    expect(loadConfig({ INGEST_IN_WORKER: 'false' }).ingestInWorker).toBe(false);
  });

  it("takes the worker's niceness from INGEST_WORKER_NICE, 0 to 19", () => {
    expect(loadConfig({}).ingestWorkerNice).toBe(10);
    expect(loadConfig({ INGEST_WORKER_NICE: '0' }).ingestWorkerNice).toBe(0);
    expect(loadConfig({ INGEST_WORKER_NICE: '19' }).ingestWorkerNice).toBe(19);
    expect(() => loadConfig({ INGEST_WORKER_NICE: '20' })).toThrow('INGEST_WORKER_NICE');
    expect(() => loadConfig({ INGEST_WORKER_NICE: '-5' })).toThrow('INGEST_WORKER_NICE');
    expect(() => loadConfig({ INGEST_WORKER_NICE: 'low' })).toThrow('INGEST_WORKER_NICE');
  });

  it('says why a priority is left as it was', () => {
    expect(lowerThreadPriority(0)).toEqual({ lowered: false, reason: 'niceness 0 asked' });
    expect(lowerThreadPriority(10, 'darwin')).toEqual({
      lowered: false,
      reason: 'per-thread priority is Linux only, not darwin',
    });
  });

  it('refuses a worker with PGlite, whose database lives in the request thread', async () => {
    await expect(
      createTollgate({
        pgliteDir: null,
        catalog: Catalog.from(demoCatalog),
        adminKey: 'tg_sk_worker_refused_0123456789abcdef',
        ingestInWorker: true,
      }),
    ).rejects.toThrow('ingestion runs in a worker only with PostgreSQL and the built-in credit debitor');
  });
});

describe("the worker's errors, as the request thread's error handler reads them", () => {
  it('keeps an AppError whole', () => {
    const error = errorOf(
      describeFailure(new AppError('payload_too_large', 413, 'too many', { limit: 1000 })),
    );
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({
      code: 'payload_too_large',
      statusCode: 413,
      message: 'too many',
      details: { limit: 1000 },
    });
  });

  it("keeps a driver error's SQLSTATE under its wrapper, so a database fault is still a 503", () => {
    const driver = Object.assign(new Error('canceling statement due to statement timeout'), {
      code: '57014',
      severity: 'ERROR',
      detail: 'a value that must not travel',
    });
    const wrapped = new Error('Failed query: insert …\nparams: secret', { cause: driver });
    const carried = errorOf(describeFailure(wrapped));
    expect(carried.message).toBe(wrapped.message);
    expect(carried.cause).toMatchObject({ code: '57014', severity: 'ERROR' });
    expect((carried.cause as { detail?: unknown }).detail).toBeUndefined();
    expect(databaseFaultOf(carried)?.code).toBe('database_timeout');
  });

  it('keeps a lost connection recognisable by its message', () => {
    const carried = errorOf(describeFailure(new Error('Connection terminated unexpectedly')));
    expect(databaseFaultOf(carried)?.code).toBe('database_unavailable');
    expect(databaseFaultOf(errorOf(describeFailure(new Error('something else'))))).toBeUndefined();
  });
});
