import { chown, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { skipUnless } from '../../../../test-support/skips.js';
import {
  NEEDS_PRIVATE_POSTGRES,
  type PrivatePostgres,
  privatePostgresAvailable,
  startPrivatePostgres,
} from '../support/private-postgres.js';
import { type ServerProcess, startServerProcess } from '../support/server-process.js';
import { mountSmallDisk, NEEDS_TMPFS, type SmallDisk, tmpfsMountable } from '../support/tmpfs.js';

const ADMIN_KEY = 'tg_sk_faults_disk_full_admin_key_0123456789';
const ORGANIZATION = 'org_disk_full';
/** The client's own limit: a request that hangs fails the test instead of hanging it. */
const REQUEST_TIMEOUT_MS = 30_000;
/** Enough attempts to outrun the free room left in the pages a table already has. */
const MAX_ATTEMPTS = 300;
const DISK_FAULTS = ['database_disk_full', 'database_unavailable'];

/** A batch of `size` new events with some padding, so that it needs fresh pages (and WAL) to be stored. */
const batchOf = (name: string, size: number) => ({
  events: Array.from({ length: size }, (_, item) => ({
    id: `${name}-${item}`,
    organization_id: ORGANIZATION,
    event: 'api_calls',
    properties: { note: 'x'.repeat(200) },
  })),
});

type Answer = { status: number; body: { error?: { code: string } } & Record<string, unknown> };

describe(
  'faults: a full disk under PostgreSQL',
  skipUnless(privatePostgresAvailable && tmpfsMountable, `${NEEDS_PRIVATE_POSTGRES}; ${NEEDS_TMPFS}`),
  () => {
    const cleanups: (() => Promise<unknown>)[] = [];
    afterEach(async () => {
      // Last in, first out: the server, then PostgreSQL, then the file systems they used.
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
    }, 60_000);

    const disk = async (megabytes: number): Promise<SmallDisk> => {
      const mounted = await mountSmallDisk(megabytes);
      cleanups.push(() => mounted.remove());
      return mounted;
    };
    const postgres = async (options: { walDir?: string } = {}): Promise<PrivatePostgres> => {
      const started = await startPrivatePostgres(options);
      cleanups.push(() => started.destroy());
      return started;
    };
    const tollgate = async (databaseUrl: string): Promise<ServerProcess> => {
      const dataDir = await mkdtemp(path.join(tmpdir(), 'tollgate-disk-full-'));
      cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
      const server = await startServerProcess({
        DATABASE_URL: databaseUrl,
        TOLLGATE_ADMIN_KEY: ADMIN_KEY,
        DATA_DIR: dataDir,
        DEMO_DATA: 'false',
        JOBS_INTERVAL_SECONDS: '3600',
        DATABASE_CONNECT_TIMEOUT_MS: '1000',
        DATABASE_STATEMENT_TIMEOUT_MS: '5000',
      });
      cleanups.push(() => server.stop('SIGKILL'));
      return server;
    };
    const call = async (server: ServerProcess, method: 'GET' | 'POST', url: string, body?: object) => {
      const response = await fetch(`${server.url}${url}`, {
        method,
        headers: {
          authorization: `Bearer ${ADMIN_KEY}`,
          ...(body && { 'content-type': 'application/json' }),
        },
        ...(body && { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      return { status: response.status, body: await response.json(), headers: response.headers } as Answer & {
        headers: Headers;
      };
    };
    const onDatabase = async <Row>(url: string, text: string, values: unknown[] = []): Promise<Row[]> => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query(text, values)).rows as Row[];
      } finally {
        await client.end();
      }
    };
    const storedEvents = async (url: string) => {
      const [row] = await onDatabase<{ events: string }>(
        url,
        'select count(*)::text as events from usage_events where organization_id = $1',
        [ORGANIZATION],
      );
      return Number(row?.events);
    };
    const used = async (server: ServerProcess) => {
      const usage = await call(server, 'GET', `/v1/organizations/${ORGANIZATION}/usage`);
      expect(usage.status).toBe(200);
      const features = usage.body.features as { feature: string; used: number }[];
      return features.find((line) => line.feature === 'api_calls')?.used;
    };
    const balance = async (server: ServerProcess) => {
      const credits = await call(server, 'GET', `/v1/organizations/${ORGANIZATION}/credits`);
      expect(credits.status).toBe(200);
      return credits.body.balance;
    };
    const expectRefusedForDisk = (answer: Answer & { headers: Headers }, codes: string[]) => {
      expect(answer.status, JSON.stringify(answer.body)).toBe(503);
      expect(codes).toContain(answer.body.error?.code);
      expect(answer.headers.get('retry-after')).toBe('1');
    };

    it('tables out of space: writes get 503 database_disk_full and store nothing, reads keep working, and after space is freed retries count once', async () => {
      // The tenant database lives in a tablespace on a small disk; pg_wal stays on the roomy one.
      const small = await disk(32);
      const location = path.join(small.path, 'tablespace');
      await mkdir(location);
      const owner = await stat(small.path);
      await chown(location, owner.uid, owner.gid);
      const database = await postgres();
      await onDatabase(database.url, `create tablespace small_disk location '${location}'`);
      await onDatabase(database.url, 'create database tollgate_disk tablespace small_disk');
      const url = new URL(database.url);
      url.pathname = '/tollgate_disk';
      const databaseUrl = url.toString();
      const server = await tollgate(databaseUrl);

      const created = await call(server, 'POST', '/v1/organizations', {
        id: ORGANIZATION,
        name: 'Disk full',
        plan: 'standard',
      });
      expect(created.status).toBe(201);
      const granted = await call(server, 'POST', `/v1/organizations/${ORGANIZATION}/credits/grants`, {
        amount: 1000,
        source: 'purchased',
        idempotency_key: 'grant-0',
      });
      expect(granted.status, JSON.stringify(granted.body)).toBe(201);
      const first = await call(server, 'POST', '/v1/events', batchOf('before', 200));
      expect(first.body).toEqual({ accepted: 200, duplicates: 0, rejected: [] });

      await small.fill();

      // A batch needing new pages is refused whole: not one of its events is stored.
      const refusedBatch = await call(server, 'POST', '/v1/events', batchOf('during', 500));
      expectRefusedForDisk(refusedBatch, ['database_disk_full']);
      expect(await storedEvents(databaseUrl)).toBe(200);
      // A consuming check is refused too (its first consume needs pages of its own) and moves no counter.
      const consume = {
        organization_id: ORGANIZATION,
        feature: 'api_calls',
        quantity: 1,
        consume: true,
        idempotency_key: 'consume-during',
      };
      expectRefusedForDisk(await call(server, 'POST', '/v1/check', consume), ['database_disk_full']);
      expect(await used(server)).toBe(200);
      // Reads need no space.
      const plainCheck = await call(server, 'POST', '/v1/check', {
        organization_id: ORGANIZATION,
        feature: 'api_calls',
      });
      expect(plainCheck.status).toBe(200);
      expect(plainCheck.body.used).toBe(200);

      // Grants fit in the room the ledger's pages still have, then are refused; none half-applied.
      let acknowledgedGrants = 0;
      let refusedGrant: string | undefined;
      for (let attempt = 1; attempt <= MAX_ATTEMPTS && !refusedGrant; attempt += 1) {
        const key = `grant-${attempt}`;
        const answer = await call(server, 'POST', `/v1/organizations/${ORGANIZATION}/credits/grants`, {
          amount: 10,
          source: 'purchased',
          idempotency_key: key,
        });
        if (answer.status === 201) acknowledgedGrants += 1;
        else {
          expectRefusedForDisk(answer, ['database_disk_full']);
          refusedGrant = key;
        }
      }
      expect(refusedGrant, `no grant was refused in ${MAX_ATTEMPTS} attempts`).toBeDefined();
      expect(await balance(server)).toBe(String(1000 + 10 * acknowledgedGrants));

      await small.free();
      // The same process, without a restart: the refused requests sent again are applied once.
      const retriedBatch = await call(server, 'POST', '/v1/events', batchOf('during', 500));
      expect(retriedBatch.body).toEqual({ accepted: 500, duplicates: 0, rejected: [] });
      const again = await call(server, 'POST', '/v1/events', batchOf('during', 500));
      expect(again.body).toEqual({ accepted: 0, duplicates: 500, rejected: [] });
      const consumed = await call(server, 'POST', '/v1/check', consume);
      expect(consumed.status, JSON.stringify(consumed.body)).toBe(200);
      expect((await call(server, 'POST', '/v1/check', consume)).body).toEqual(consumed.body);
      const retriedGrant = { amount: 10, source: 'purchased', idempotency_key: refusedGrant };
      const grantUrl = `/v1/organizations/${ORGANIZATION}/credits/grants`;
      const regranted = await call(server, 'POST', grantUrl, retriedGrant);
      expect(regranted.status).toBe(201);
      expect((await call(server, 'POST', grantUrl, retriedGrant)).body).toEqual(regranted.body);
      expect(await balance(server)).toBe(String(1000 + 10 * (acknowledgedGrants + 1)));
      // 200 + 500 ingested, and the consume, which is stored as an event of its own.
      expect(await storedEvents(databaseUrl)).toBe(701);
      expect(await used(server)).toBe(701);
    }, 180_000);

    it('pg_wal out of space: PostgreSQL panics and stays down; Tollgate answers 503, survives, and recovers once PostgreSQL is started with space', async () => {
      // Only pg_wal on the small disk: the tables have room, so the WAL is what runs out.
      const small = await disk(48);
      const database = await postgres({ walDir: path.join(small.path, 'wal') });
      const server = await tollgate(database.url);
      const created = await call(server, 'POST', '/v1/organizations', {
        id: ORGANIZATION,
        name: 'WAL full',
        plan: 'standard',
      });
      expect(created.status).toBe(201);
      await small.fill();

      // Batches are stored until the current WAL segment is full and the next cannot be created.
      const acknowledged = new Set<number>();
      let refused: Answer | undefined;
      let sent = 0;
      for (; sent < MAX_ATTEMPTS && !refused; sent += 1) {
        const answer = await call(server, 'POST', '/v1/events', batchOf(`wal-${sent}`, 1000));
        if (answer.status === 200) {
          expect(answer.body.accepted).toBe(1000);
          acknowledged.add(sent);
        } else {
          expectRefusedForDisk(answer, DISK_FAULTS);
          refused = answer;
        }
      }
      expect(refused, `no batch was refused in ${MAX_ATTEMPTS} attempts`).toBeDefined();
      // PostgreSQL's crash recovery needs WAL space too, so it shuts down: every request now gets a 503.
      const whileDown = await call(server, 'POST', '/v1/events', batchOf(`wal-${sent}`, 1000));
      sent += 1;
      expectRefusedForDisk(whileDown, DISK_FAULTS);
      const readiness = await call(server, 'GET', '/readyz');
      expect(readiness.status).toBe(503);
      // The backend's death reached connections the pool had handed out: the process must live on.
      expect(server.child.exitCode).toBeNull();

      // The operator frees space and starts PostgreSQL (stopping it first, in case it is still up).
      await small.free();
      await database.stop().catch(() => undefined);
      await database.start();
      expect((await call(server, 'GET', '/readyz')).status).toBe(200);
      let accepted = 0;
      for (let index = 0; index < sent; index += 1) {
        if (acknowledged.has(index)) continue;
        const retried = await call(server, 'POST', '/v1/events', batchOf(`wal-${index}`, 1000));
        expect(retried.status, JSON.stringify(retried.body)).toBe(200);
        accepted += retried.body.accepted as number;
      }
      expect(accepted).toBeLessThanOrEqual((sent - acknowledged.size) * 1000);
      for (let index = 0; index < sent; index += 1) {
        const again = await call(server, 'POST', '/v1/events', batchOf(`wal-${index}`, 1000));
        expect(again.body).toEqual({ accepted: 0, duplicates: 1000, rejected: [] });
      }
      expect(await storedEvents(database.url)).toBe(sent * 1000);
      expect(await used(server)).toBe(sent * 1000);
      expect(server.child.exitCode).toBeNull();
    }, 300_000);
  },
);
