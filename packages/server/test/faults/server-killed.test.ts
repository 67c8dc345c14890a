import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipUnless } from '../../../../test-support/skips.js';
import {
  NEEDS_PRIVATE_POSTGRES,
  type PrivatePostgres,
  privatePostgresAvailable,
  startPrivatePostgres,
} from '../support/private-postgres.js';
import { type ServerProcess, startServerProcess } from '../support/server-process.js';

const ADMIN_KEY = 'tg_sk_faults_kill_test_admin_key_0123456789';
const ORGANIZATION = 'org_killed';
const BATCHES = 40;
const BATCH_SIZE = 100;
/** Acknowledged batches after which the server is killed: at 25, 50 and 75 % of the run. */
const KILL_AFTER = [10, 20, 30];
const CLIENTS = 4;

const batchOf = (index: number) => ({
  events: Array.from({ length: BATCH_SIZE }, (_, item) => ({
    id: `killed-${index}-${item}`,
    organization_id: ORGANIZATION,
    event: 'api_calls',
    project_id: `p${item % 3}`,
  })),
});

describe(
  'faults: kill -9 of a Tollgate process mid-ingest',
  skipUnless(privatePostgresAvailable, NEEDS_PRIVATE_POSTGRES),
  () => {
    let database: PrivatePostgres | undefined;
    let dataDir: string | undefined;
    const servers: ServerProcess[] = [];

    const startServer = async () => {
      if (!database || !dataDir) throw new Error('not started');
      const server = await startServerProcess({
        DATABASE_URL: database.url,
        TOLLGATE_ADMIN_KEY: ADMIN_KEY,
        DATA_DIR: dataDir,
        DEMO_DATA: 'false',
        JOBS_INTERVAL_SECONDS: '3600',
      });
      servers.push(server);
      return server;
    };
    const send = (server: ServerProcess, url: string, body: object) =>
      fetch(`${server.url}${url}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    beforeAll(async () => {
      database = await startPrivatePostgres();
      dataDir = await mkdtemp(path.join(tmpdir(), 'tollgate-killed-'));
    }, 120_000);

    afterAll(async () => {
      for (const server of servers) await server.stop('SIGKILL');
      await database?.destroy();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    }, 60_000);

    it('loses nothing and counts nothing twice when the client retries the batches it got no answer for', async () => {
      if (!database) throw new Error('not started');
      let server = await startServer();
      const created = await send(server, '/v1/organizations', { id: ORGANIZATION, name: 'Killed' });
      expect(created.status).toBe(201);

      const acknowledged = new Set<number>();
      let pending = Array.from({ length: BATCHES }, (_, index) => index);
      const kills = [...KILL_AFTER];
      let interrupted = 0;
      let rounds = 0;
      while (pending.length > 0) {
        rounds += 1;
        expect(rounds).toBeLessThanOrEqual(KILL_AFTER.length + 2);
        const killAt = kills.shift();
        const unanswered: number[] = [];
        let killed = false;
        const client = async () => {
          while (!killed && pending.length > 0) {
            const index = pending.shift() as number;
            try {
              const response = await send(server, '/v1/events', batchOf(index));
              if (response.status !== 200) {
                unanswered.push(index);
                continue;
              }
              const body = (await response.json()) as { accepted: number; duplicates: number };
              expect(body.accepted + body.duplicates).toBe(BATCH_SIZE);
              acknowledged.add(index);
            } catch {
              // The connection died with the process: the batch may or may not have been stored.
              unanswered.push(index);
            }
            if (killAt !== undefined && !killed && acknowledged.size >= killAt) {
              killed = true;
              server.child.kill('SIGKILL');
            }
          }
        };
        await Promise.all(Array.from({ length: CLIENTS }, client));
        interrupted += unanswered.length;
        pending = [...unanswered, ...pending];
        if (killed) {
          await server.stop('SIGKILL');
          server = await startServer();
        }
      }
      expect(acknowledged.size).toBe(BATCHES);
      expect(kills).toEqual([]);
      // The other clients were sending when the process died: some batches had no answer and were retried.
      expect(interrupted).toBeGreaterThan(0);

      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        const { rows: events } = await client.query<{ count: string; distinct_ids: string }>(
          `select count(*)::text as count, count(distinct id)::text as distinct_ids
           from usage_events where organization_id = $1`,
          [ORGANIZATION],
        );
        expect(events[0]).toEqual({
          count: String(BATCHES * BATCH_SIZE),
          distinct_ids: String(BATCHES * BATCH_SIZE),
        });
        const { rows: counters } = await client.query<{ project_id: string; used: string }>(
          `select project_id, used::text as used from usage_counters
           where organization_id = $1 and feature = 'api_calls' order by project_id`,
          [ORGANIZATION],
        );
        const perProject = (item: number) =>
          BATCHES * Array.from({ length: BATCH_SIZE }, (_, i) => i).filter((i) => i % 3 === item).length;
        expect(counters).toEqual([
          { project_id: '', used: String(BATCHES * BATCH_SIZE) },
          { project_id: 'p0', used: String(perProject(0)) },
          { project_id: 'p1', used: String(perProject(1)) },
          { project_id: 'p2', used: String(perProject(2)) },
        ]);
      } finally {
        await client.end();
      }
    }, 300_000);
  },
);
