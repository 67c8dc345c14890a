import { Catalog, demoCatalog } from '@tollgate/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipUnless } from '../../../../test-support/skips.js';
import { createTollgate, type Tollgate } from '../../src/tollgate.js';
import { TEST_ADMIN_KEY } from '../support/harness.js';
import {
  NEEDS_PRIVATE_POSTGRES,
  type PrivatePostgres,
  privatePostgresAvailable,
  startPrivatePostgres,
} from '../support/private-postgres.js';

const ORGANIZATION = 'org_outage';
const BATCH_SIZE = 50;
const BATCHES = 24;

const batchOf = (index: number) =>
  Array.from({ length: BATCH_SIZE }, (_, item) => ({
    id: `outage-${index}-${item}`,
    organization_id: ORGANIZATION,
    event: 'api_calls',
  }));

describe(
  'faults: PostgreSQL stopped mid-ingest, and a statement timeout',
  skipUnless(privatePostgresAvailable, NEEDS_PRIVATE_POSTGRES),
  () => {
    let database: PrivatePostgres | undefined;
    let tollgate: Tollgate | undefined;

    const call = async (method: 'GET' | 'POST', url: string, body?: object) => {
      if (!tollgate) throw new Error('not started');
      const response = await tollgate.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
        ...(body && { payload: body }),
      });
      return { status: response.statusCode, body: response.json(), headers: response.headers };
    };
    const sendBatch = (index: number) => call('POST', '/v1/events', { events: batchOf(index) });
    const onDatabase = async <Row>(text: string): Promise<Row[]> => {
      const client = new pg.Client({ connectionString: database?.url });
      await client.connect();
      try {
        return (await client.query(text)).rows as Row[];
      } finally {
        await client.end();
      }
    };

    beforeAll(async () => {
      database = await startPrivatePostgres();
      tollgate = await createTollgate({
        databaseUrl: database.url,
        catalog: Catalog.from(demoCatalog),
        adminKey: TEST_ADMIN_KEY,
        databaseConnectTimeoutMs: 1_000,
        databaseStatementTimeoutMs: 1_000,
        logger: { level: 'fatal' },
      });
      const created = await call('POST', '/v1/organizations', {
        id: ORGANIZATION,
        name: 'Outage',
        plan: 'standard',
      });
      expect(created.status).toBe(201);
    }, 120_000);

    afterAll(async () => {
      await tollgate?.close().catch(() => undefined);
      await database?.destroy();
    }, 60_000);

    it('answers 503 database_unavailable while PostgreSQL is down, recovers without a restart, and counts retried events once', async () => {
      if (!database) throw new Error('not started');
      const acknowledged = new Set<number>();
      for (let index = 0; index < 4; index += 1) {
        const response = await sendBatch(index);
        expect(response.status).toBe(200);
        acknowledged.add(index);
      }
      // Batches keep coming while the server stops: each is either stored whole or refused with a 503.
      const inFlight = Array.from({ length: BATCHES - 4 }, (_, offset) => offset + 4).map(async (index) => {
        const response = await sendBatch(index);
        return { index, response };
      });
      const stopped = database.stop();
      const answers = await Promise.all(inFlight);
      await stopped;
      for (const { index, response } of answers) {
        if (response.status === 200) {
          acknowledged.add(index);
          continue;
        }
        expect(response.status, JSON.stringify(response.body)).toBe(503);
        expect(response.body.error.code).toBe('database_unavailable');
      }

      const whileDown = await sendBatch(BATCHES);
      expect(whileDown.status).toBe(503);
      expect(whileDown.body.error.code).toBe('database_unavailable');
      expect(whileDown.headers['retry-after']).toBe('1');
      const readiness = await call('GET', '/readyz');
      expect(readiness.status).toBe(503);
      expect(readiness.body.error.code).toBe('database_unavailable');
      const usageWhileDown = await call('GET', `/v1/organizations/${ORGANIZATION}/usage`);
      expect(usageWhileDown.status).toBe(503);

      await database.start();
      expect((await call('GET', '/readyz')).status).toBe(200);
      // The client retries what was not acknowledged, then (being unsure) everything once more.
      let accepted = 0;
      for (let index = 0; index <= BATCHES; index += 1) {
        if (acknowledged.has(index)) continue;
        const retried = await sendBatch(index);
        expect(retried.status, JSON.stringify(retried.body)).toBe(200);
        accepted += retried.body.accepted;
      }
      for (let index = 0; index <= BATCHES; index += 1) {
        const again = await sendBatch(index);
        expect(again.body).toEqual({ accepted: 0, duplicates: BATCH_SIZE, rejected: [] });
      }
      const total = (BATCHES + 1) * BATCH_SIZE;
      expect(accepted).toBeLessThanOrEqual(total - acknowledged.size * BATCH_SIZE);
      const [stored] = await onDatabase<{ events: string }>(
        `select count(*)::text as events from usage_events where organization_id = '${ORGANIZATION}'`,
      );
      expect(Number(stored?.events)).toBe(total);
      const usage = await call('GET', `/v1/organizations/${ORGANIZATION}/usage`);
      const apiCalls = usage.body.features.find((line: { feature: string }) => line.feature === 'api_calls');
      expect(apiCalls.used).toBe(total);
    }, 120_000);

    it('answers 503 database_timeout to a statement past DATABASE_STATEMENT_TIMEOUT_MS, then works again', async () => {
      if (!database) throw new Error('not started');
      const blocker = new pg.Client({ connectionString: database.url });
      await blocker.connect();
      try {
        // A lock nobody releases in time: the ingest's insert waits on it until its statement timeout.
        await blocker.query('begin');
        await blocker.query('lock table usage_events in access exclusive mode');
        const blocked = await call('POST', '/v1/events', {
          events: [{ id: 'timeout-1', organization_id: ORGANIZATION, event: 'api_calls' }],
        });
        expect(blocked.status, JSON.stringify(blocked.body)).toBe(503);
        expect(blocked.body.error.code).toBe('database_timeout');
        await blocker.query('rollback');
      } finally {
        await blocker.end();
      }
      const retried = await call('POST', '/v1/events', {
        events: [{ id: 'timeout-1', organization_id: ORGANIZATION, event: 'api_calls' }],
      });
      expect(retried.body).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    }, 60_000);
  },
);
