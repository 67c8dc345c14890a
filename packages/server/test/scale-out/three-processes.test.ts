import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipUnless } from '../../../../test-support/skips.js';
import { meteringTestCatalog } from '../metering/test-catalog.js';
import { type Haproxy, haproxyAvailable, NEEDS_HAPROXY, startHaproxy } from '../support/haproxy.js';
import {
  NEEDS_STREAMING_REPLICA,
  type PrivatePostgres,
  startPrivatePostgres,
  startStreamingReplica,
  streamingReplicaAvailable,
} from '../support/private-postgres.js';
import { type ServerProcess, startServerProcess } from '../support/server-process.js';
import {
  type Answer,
  clientOf,
  eventually,
  inParallel,
  pauseReplay,
  queryOn,
  replicaCaughtUp,
} from './scale-out-support.js';

const ADMIN_KEY = 'tg_sk_scale_out_test_admin_key_0123456789';
const PROCESSES = 3;
const INGEST = 'org_scale_ingest';
const CAPPED = 'org_scale_capped';
const WALLET = 'org_scale_wallet';
const BATCHES = 40;
const BATCH_SIZE = 50;
const FALLBACK_LINE = /read replica unavailable/g;
const RECOVERY_LINE = /read replica answers again/g;

const batchOf = (index: number) => ({
  events: Array.from({ length: BATCH_SIZE }, (_, item) => ({
    id: `scale-${index}-${item}`,
    organization_id: INGEST,
    event: 'api_calls',
  })),
});

// Three Tollgate processes behind HAProxy on one PostgreSQL, with a streaming replica for reads that
// may lag: the deployment docs/scaling.md describes, with every process, server and file its own.
describe('scale-out: three processes behind HAProxy on one PostgreSQL and a streaming replica', {
  ...skipUnless(
    streamingReplicaAvailable && haproxyAvailable,
    `${NEEDS_STREAMING_REPLICA}; ${NEEDS_HAPROXY}`,
  ),
}, () => {
  let primary: PrivatePostgres | undefined;
  let replica: PrivatePostgres | undefined;
  let proxy: Haproxy | undefined;
  const servers: ServerProcess[] = [];
  const directories: string[] = [];
  let call: ReturnType<typeof clientOf>;

  const onPrimary = <Row>(text: string, params: unknown[] = []) => {
    if (!primary) throw new Error('not started');
    return queryOn<Row>(primary.url, text, params);
  };
  const historyTotal = async (through: ReturnType<typeof clientOf>) => {
    const answer = await through(
      'GET',
      `/v1/organizations/${INGEST}/usage/api_calls/history?granularity=day`,
    );
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return answer.body.points.reduce((total: number, point: { value: number }) => total + point.value, 0);
  };
  /**
   * One round of reads: six through HAProxy (two per process while all are in its rotation), then one
   * straight to each process, so that every process reads even if a health check took one out.
   */
  const historyRound = async () => [
    ...(await inParallel([0, 1, 2, 3, 4, 5], 1, () => historyTotal(call))),
    ...(await inParallel(servers, 1, (server) => historyTotal(clientOf(server.url, ADMIN_KEY)))),
  ];
  /** The other reads routed to the replica: each answers 200 with the organization's rows. */
  const otherReplicaReads = async () =>
    Promise.all(
      [
        `/v1/organizations/${INGEST}/invoices`,
        `/v1/organizations/${INGEST}/audit-log`,
        '/v1/organizations?limit=10',
        '/v1/stripe/events',
      ].map(async (url) => {
        const answer = await call('GET', url);
        return { url, status: answer.status, rows: Array.isArray(answer.body.data) };
      }),
    );
  const allAnswered = (answers: { url: string; status: number; rows: boolean }[]) =>
    answers.every((answer) => answer.status === 200 && answer.rows);
  const linesIn = (server: ServerProcess, line: RegExp) => server.output().match(line)?.length ?? 0;

  beforeAll(async () => {
    primary = await startPrivatePostgres({ replication: true });
    replica = await startStreamingReplica(primary);
    const shared = await mkdtemp(path.join(tmpdir(), 'tollgate-scale-out-'));
    directories.push(shared);
    const catalogFile = path.join(shared, 'catalog.json');
    await writeFile(catalogFile, JSON.stringify(meteringTestCatalog));
    const started = await Promise.all(
      Array.from({ length: PROCESSES }, async () => {
        const dataDir = await mkdtemp(path.join(tmpdir(), 'tollgate-scale-out-process-'));
        directories.push(dataDir);
        const server = await startServerProcess({
          DATABASE_URL: primary?.url ?? '',
          DATABASE_READ_URL: replica?.url ?? '',
          DATABASE_POOL_SIZE: '10',
          DATABASE_CONNECT_TIMEOUT_MS: '2000',
          TOLLGATE_ADMIN_KEY: ADMIN_KEY,
          TOLLGATE_CATALOG: catalogFile,
          DATA_DIR: dataDir,
          DEMO_DATA: 'false',
          JOBS_INTERVAL_SECONDS: '1',
        });
        servers.push(server);
        return server;
      }),
    );
    proxy = await startHaproxy(started.map((server) => new URL(server.url).host));
    call = clientOf(proxy.url, ADMIN_KEY);
    for (const [id, plan] of [
      [INGEST, 'standard'],
      [CAPPED, 'standard'],
      [WALLET, 'free'],
    ] as const) {
      const created = await call('POST', '/v1/organizations', { id, name: id, plan });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
    }
  }, 120_000);

  afterAll(async () => {
    // Each step on its own: one failing must not leave the others' processes or files behind.
    await proxy?.stop().catch(() => undefined);
    await Promise.all(servers.map((server) => server.stop('SIGKILL').catch(() => undefined)));
    await replica?.destroy().catch(() => undefined);
    await primary?.destroy().catch(() => undefined);
    for (const directory of directories) await rm(directory, { recursive: true, force: true });
  }, 60_000);

  it('counts each event once when every batch is sent twice at once, to whichever processes HAProxy picks', async () => {
    const answers = await inParallel(
      Array.from({ length: BATCHES }, (_, index) => index),
      6,
      (index) =>
        Promise.all([call('POST', '/v1/events', batchOf(index)), call('POST', '/v1/events', batchOf(index))]),
    );
    const flat: Answer[] = answers.flat();
    expect(flat.every((answer) => answer.status === 200)).toBe(true);
    for (const answer of flat) expect(answer.body.accepted + answer.body.duplicates).toBe(BATCH_SIZE);
    const total = BATCHES * BATCH_SIZE;
    expect(flat.reduce((sum, answer) => sum + answer.body.accepted, 0)).toBe(total);

    const [stored] = await onPrimary<{ events: string; ids: string }>(
      'select count(*)::text as events, count(distinct id)::text as ids from usage_events where organization_id = $1',
      [INGEST],
    );
    expect(stored).toEqual({ events: String(total), ids: String(total) });
    const [counter] = await onPrimary<{ used: string }>(
      `select used::text as used from usage_counters
         where organization_id = $1 and feature = 'api_calls' and project_id = ''`,
      [INGEST],
    );
    expect(counter?.used).toBe(String(total));
    const usage = await call('GET', `/v1/organizations/${INGEST}/usage`);
    expect(usage.body.features.find((line: { feature: string }) => line.feature === 'api_calls').used).toBe(
      total,
    );
  }, 60_000);

  it('never overspends a hard cap of 100 with 240 concurrent consuming checks over three processes', async () => {
    const answers = await inParallel(
      Array.from({ length: 240 }, (_, index) => index),
      24,
      (index) =>
        call('POST', '/v1/check', {
          organization_id: CAPPED,
          feature: 'exports',
          quantity: 1,
          consume: true,
          idempotency_key: `cap-${index}`,
        }),
    );
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    expect(answers.filter((answer) => answer.body.allowed)).toHaveLength(100);
    expect(answers.filter((answer) => answer.body.reason === 'limit_exceeded')).toHaveLength(140);
    const [counter] = await onPrimary<{ used: string }>(
      `select used::text as used from usage_counters
         where organization_id = $1 and feature = 'exports' and project_id = ''`,
      [CAPPED],
    );
    expect(counter?.used).toBe('100');
    const [events] = await onPrimary<{ total: string }>(
      'select coalesce(sum(quantity), 0)::text as total from usage_events where organization_id = $1',
      [CAPPED],
    );
    expect(events?.total).toBe('100');
  }, 60_000);

  it('never takes a credit wallet below zero with 60 concurrent consumes over three processes', async () => {
    const granted = await call('POST', `/v1/organizations/${WALLET}/credits/grants`, {
      amount: 100,
      source: 'promotional',
      idempotency_key: 'scale-grant',
    });
    expect(granted.status, JSON.stringify(granted.body)).toBe(201);
    const answers = await inParallel(
      Array.from({ length: 60 }, (_, index) => index),
      20,
      (index) =>
        call('POST', '/v1/credits/consume', {
          organization_id: WALLET,
          event_name: 'api_call_premium',
          idempotency_key: `wallet-${index}`,
        }),
    );
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    // 5 credits each: exactly 20 of them fit in 100.
    expect(answers.filter((answer) => answer.body.allowed)).toHaveLength(20);
    expect(answers.filter((answer) => answer.body.code === 'insufficient_credits')).toHaveLength(40);
    const balance = await call('GET', `/v1/organizations/${WALLET}/credits`);
    expect(balance.body.balance).toBe('0');
    const [ledger] = await onPrimary<{ lowest: string; lots: string; journal: string }>(
      `select (select min(remaining)::text from credit_lots where organization_id = $1) as lowest,
                (select sum(remaining)::text from credit_lots where organization_id = $1) as lots,
                (select sum(amount)::text from credit_journal where organization_id = $1) as journal`,
      [WALLET],
    );
    expect(ledger).toEqual({ lowest: '0', lots: '0', journal: '0' });
  }, 60_000);

  it('runs each job window once across the three processes: one renewal, one credit grant per period', async () => {
    // The standard plan grants 10,000 credits a period: each subscription gets its grant once.
    const granted = () =>
      onPrimary<{ organization_id: string; expires_at: string; grants: string }>(
        `select organization_id, expires_at::text, count(*)::text as grants from credit_lots
           where source = 'subscription' and organization_id = any($1) group by organization_id, expires_at`,
        [[INGEST, CAPPED]],
      );
    expect(await eventually(async () => (await granted()).length === 2)).toBe(true);
    // Their periods ended while nobody watched: the next round renews them (one process does).
    await onPrimary(
      `update subscriptions set billing_cycle_anchor = billing_cycle_anchor - interval '1 month',
           current_period_start = current_period_start - interval '1 month',
           current_period_end = current_period_end - interval '1 month'
         where organization_id = any($1)`,
      [[INGEST, CAPPED]],
    );
    const renewals = () =>
      onPrimary<{ organization_id: string; renewals: string }>(
        `select organization_id, count(*)::text as renewals from subscription_history
           where change = 'renewed' and organization_id = any($1) group by organization_id order by 1`,
        [[INGEST, CAPPED]],
      );
    expect(await eventually(async () => (await renewals()).length === 2)).toBe(true);
    // Three more rounds in each process, every one finding the windows already done.
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    expect(await renewals()).toEqual([
      { organization_id: CAPPED, renewals: '1' },
      { organization_id: INGEST, renewals: '1' },
    ]);
    const grants = await granted();
    expect(grants.length).toBeGreaterThanOrEqual(2);
    expect(grants.filter((row) => row.grants !== '1')).toEqual([]);
  }, 60_000);

  it('reads usage history on the replica, on the primary while the replica is down, and on the replica again once it is back', async () => {
    if (!primary || !replica) throw new Error('not started');
    const total = BATCHES * BATCH_SIZE;
    expect(await replicaCaughtUp(primary.url, replica.url)).toBe(true);
    expect(await historyRound()).toEqual(Array(6 + PROCESSES).fill(total));
    expect(allAnswered(await otherReplicaReads())).toBe(true);
    const readers = await queryOn<{ readers: string }>(
      replica.url,
      `select count(*)::text as readers from pg_stat_activity where application_name = 'tollgate-read'`,
    );
    expect(Number(readers[0]?.readers)).toBeGreaterThan(0);

    // The replica stops replaying: what it answers is now visibly older than the primary.
    expect(await pauseReplay(replica.url)).toBe(true);
    const later = (id: string) => ({
      events: [{ id, organization_id: INGEST, event: 'api_calls', quantity: 7 }],
    });
    expect((await call('POST', '/v1/events', later('scale-late-1'))).body.accepted).toBe(1);
    expect(await historyRound()).toEqual(Array(6 + PROCESSES).fill(total));

    // Replica down: the same reads answer 200 from the primary, with its newer total.
    await replica.stop();
    expect(await historyRound()).toEqual(Array(6 + PROCESSES).fill(total + 7));
    expect(await historyRound()).toEqual(Array(6 + PROCESSES).fill(total + 7));
    expect(allAnswered(await otherReplicaReads())).toBe(true);
    // Told once per outage in each process, not once per read (the line may reach the pipe after the answer).
    const toldOnce = (line: RegExp) =>
      eventually(async () => servers.every((server) => linesIn(server, line) >= 1), 50);
    expect(await toldOnce(FALLBACK_LINE)).toBe(true);
    expect(servers.map((server) => linesIn(server, FALLBACK_LINE))).toEqual([1, 1, 1]);

    // Back, caught up and paused again: once each process's probe finds it, reads show its older total.
    await replica.start();
    expect(await replicaCaughtUp(primary.url, replica.url)).toBe(true);
    expect(await pauseReplay(replica.url)).toBe(true);
    expect((await call('POST', '/v1/events', later('scale-late-2'))).body.accepted).toBe(1);
    const onReplicaAgain = await eventually(
      async () => (await historyRound()).every((value) => value === total + 7),
      100,
    );
    expect(onReplicaAgain).toBe(true);
    expect(await toldOnce(RECOVERY_LINE)).toBe(true);
    expect(servers.map((server) => linesIn(server, RECOVERY_LINE))).toEqual([1, 1, 1]);
    const usage = await call('GET', `/v1/organizations/${INGEST}/usage`);
    expect(usage.body.features.find((line: { feature: string }) => line.feature === 'api_calls').used).toBe(
      total + 14,
    );
  }, 90_000);
});
