// Ingest benchmark: batches of 500 events over HTTP into PostgreSQL and into PGlite, each beside a
// raw batched INSERT of the same rows into a table of the same shape, measured in the same run.
//   npm run build && node bench/ingest.mjs
// Env: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), DURATION_S (15),
//      CONNECTIONS (8,16: each level is measured, HTTP and raw alike), BATCH (500), SKIP_PGLITE=1,
//      UNIQUE_SHARE (0: the share of events, 0 – 1, that go to a unique_count feature, `active_users`,
//      counting 1,000 users per organization; the server then runs with the demo catalog plus it)
// A closed loop's throughput depends on how many requests it keeps in flight; throughput is the
// server's capacity only once the load saturates it, so each concurrency level is printed, each with
// its own raw baseline at the same number of connections.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { demoCatalog } from '@tollgate/core';
import pg from 'pg';
import { closedLoop } from './lib/load.mjs';
import { residentMegabytes, withCpuPerOperation } from './lib/machine.mjs';
import { authHeaders, format, SERVER_NODE_ARGS, scratchDatabase, startServer } from './lib/server.mjs';

const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const durationMs = Number(process.env.DURATION_S ?? 15) * 1000;
const connectionLevels = (process.env.CONNECTIONS ?? '8,16').split(',').map(Number);
const batchSize = Number(process.env.BATCH ?? 500);
const uniqueShare = Number(process.env.UNIQUE_SHARE ?? 0);
if (!(uniqueShare >= 0 && uniqueShare <= 1)) throw new Error('UNIQUE_SHARE must be between 0 and 1');
const organizations = 100;
const run = randomBytes(3).toString('hex');
// Every `1 / uniqueShare`-th event, spread evenly over the batch (Bresenham), is an active_users one.
const isUnique = (n) => Math.floor((n + 1) * uniqueShare) > Math.floor(n * uniqueShare);

function batch(index) {
  return Array.from({ length: batchSize }, (_, offset) => {
    const n = index * batchSize + offset;
    const event = {
      id: `${run}-${n}`,
      organization_id: `bench_org_${n % organizations}`,
      project_id: `project_${n % 5}`,
      event: n % 2 === 0 ? 'llm_tokens' : 'api_calls',
      quantity: (n % 97) + 1,
    };
    if (!isUnique(n)) return event;
    // A user seen again and again: most values are already in the hour, day and period.
    return { ...event, event: 'active_users', quantity: 1, properties: { user: `user_${(n >> 7) % 1000}` } };
  });
}

/** The demo catalog with a unique_count feature in every plan, written where the server can read it. */
function catalogWithUniqueCount() {
  const catalog = structuredClone(demoCatalog);
  catalog.features.active_users = {
    name: 'Active users',
    unit: 'user',
    aggregation: 'unique_count',
    unique_property: 'user',
  };
  for (const plan of Object.values(catalog.plans))
    plan.features.active_users = { included: 10_000, cap: 'soft' };
  const directory = mkdtempSync(path.join(tmpdir(), 'tollgate-bench-catalog-'));
  const file = path.join(directory, 'tollgate.config.json');
  writeFileSync(file, JSON.stringify(catalog));
  return { file, remove: () => rmSync(directory, { recursive: true, force: true }) };
}

async function createOrganizations(server) {
  for (let index = 0; index < organizations; index += 1) {
    await server.api('POST', '/v1/organizations', { id: `bench_org_${index}`, name: `Bench ${index}` });
  }
}

/** Each level sends batches numbered from its own range, so no level repeats another's event ids. */
async function overHttp(server, connections, level) {
  const url = `${server.baseUrl}/v1/events`;
  const makeBody = (index) => JSON.stringify({ events: batch(index) });
  const firstBatch = (level + 1) * 1e7;
  // Warm-up: JIT, connection pool, first pages of the indexes.
  await closedLoop({
    url,
    headers: authHeaders,
    makeBody: (index) => makeBody(firstBatch + 1e6 + index),
    connections,
    durationMs: 2000,
  });
  const result = await withCpuPerOperation(
    server.pid,
    () =>
      closedLoop({
        url,
        headers: authHeaders,
        makeBody: (index) => makeBody(firstBatch + index),
        connections,
        durationMs,
        check(response) {
          const body = JSON.parse(response.text);
          if (body.accepted !== batchSize)
            throw new Error(`accepted ${body.accepted}: ${response.text.slice(0, 300)}`);
        },
      }),
    batchSize,
  );
  return { ...result, eventsPerSecond: result.perSecond * batchSize };
}

/** The same rows, one multi-row INSERT per batch, into a copy of usage_events: what the database alone can take. */
function rawInsert(rows, now) {
  const values = [];
  const params = [];
  for (const row of rows) {
    const base = params.length;
    values.push(
      `($${base + 1},$${base + 2},$${base + 3},$${base + 4},$${base + 5},$${base + 6},$${base + 7},$${base + 8},$${base + 9})`,
    );
    params.push(
      row.organization_id,
      row.id,
      row.event,
      row.event,
      row.project_id,
      String(row.quantity),
      now,
      row.properties ? JSON.stringify(row.properties) : null,
      now,
    );
  }
  return {
    text: `insert into raw_usage_events (organization_id, id, event, feature, project_id, quantity, "timestamp", properties, received_at) values ${values.join(',')} on conflict do nothing`,
    params,
  };
}

const RAW_TABLE = 'create table raw_usage_events (like usage_events including all)';

async function rawPostgres(url, connections, level) {
  const pool = new pg.Pool({ connectionString: url, max: connections });
  // The scratch database is dropped (with force) right after: a connection still closing then reports
  // its termination on the idle pool, which would otherwise end the run with an unhandled error.
  pool.on('error', () => {});
  // The first level creates the table; each level inserts its own range of ids into it.
  if (level === 0) await pool.query(RAW_TABLE);
  let index = (level + 1) * 1e7 + 2e6;
  let batches = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) {
        const query = rawInsert(batch(index++), new Date().toISOString());
        await pool.query(query.text, query.params);
        batches += 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await pool.end();
  return (batches * batchSize) / seconds;
}

async function rawPglite() {
  const directory = mkdtempSync(path.join(tmpdir(), 'tollgate-bench-raw-'));
  const db = await PGlite.create(`${directory}/pglite`);
  // The same shape as the server's table: primary key and the history index.
  await db.exec(`create table usage_events (organization_id text not null, id text not null, event text not null,
    feature text, project_id text, user_id text, quantity numeric not null, "timestamp" timestamptz not null,
    properties jsonb, received_at timestamptz not null, primary key (organization_id, id));
    create index on usage_events (organization_id, feature, "timestamp"); ${RAW_TABLE};`);
  let index = 3e6;
  let batches = 0;
  const started = performance.now();
  while (performance.now() < started + durationMs) {
    const query = rawInsert(batch(index++), new Date().toISOString());
    await db.query(query.text, query.params);
    batches += 1;
  }
  const seconds = (performance.now() - started) / 1000;
  await db.close();
  rmSync(directory, { recursive: true, force: true });
  return (batches * batchSize) / seconds;
}

function printMemory(server) {
  const megabytes = residentMegabytes(server.pid);
  if (megabytes !== null) console.log(`server resident memory after the runs: ${format(megabytes)} MB`);
}

function report(label, connections, http, raw) {
  console.log(
    `${`${label}, ${connections} conns`.padEnd(20)} HTTP ${format(http.eventsPerSecond).padStart(8)} events/s  (p50 ${format(http.p50, 1)} ms, p99 ${format(http.p99, 1)} ms per batch, ${http.errors} errors)` +
      `   raw INSERT ${format(raw).padStart(8)} rows/s   ratio ${format(http.eventsPerSecond / raw, 2)}×`,
  );
  const { cpu } = http;
  console.log(
    `  CPU per event: server ${format(cpu.server, 1)} µs, PostgreSQL ${format(cpu.postgres, 1)} µs, load generator ${format(cpu.generator, 1)} µs → ~${format(cpu.capacity)} events/s would fill this machine's cores`,
  );
}

console.log(
  `ingest: batches of ${batchSize}, ${connectionLevels.join(' and ')} connections, ${durationMs / 1000} s per measurement` +
    (uniqueShare > 0
      ? `, ${format(uniqueShare * 100)} % of events to the unique_count feature active_users`
      : '') +
    `; server: node ${SERVER_NODE_ARGS.join(' ')}\n`,
);
const uniqueCatalog = uniqueShare > 0 ? catalogWithUniqueCount() : undefined;
process.on('exit', () => uniqueCatalog?.remove());
const catalogPath = uniqueCatalog?.file;
const database = await scratchDatabase(databaseUrl);
try {
  const server = await startServer({ port: 4511, databaseUrl: database.url, catalogPath });
  const results = [];
  try {
    await createOrganizations(server);
    for (const [level, connections] of connectionLevels.entries()) {
      results.push({ connections, http: await overHttp(server, connections, level) });
    }
    printMemory(server);
  } finally {
    await server.stop();
  }
  // The raw baselines run once the server is gone, so they have the machine to themselves as it had.
  for (const [level, { connections, http }] of results.entries()) {
    report('PostgreSQL', connections, http, await rawPostgres(database.url, connections, level));
  }
} finally {
  await database.drop();
}
if (!process.env.SKIP_PGLITE) {
  const server = await startServer({ port: 4512, catalogPath });
  const results = [];
  try {
    await createOrganizations(server);
    for (const [level, connections] of connectionLevels.entries()) {
      results.push({ connections, http: await overHttp(server, connections, level) });
    }
    printMemory(server);
  } finally {
    await server.stop();
  }
  // PGlite is one embedded connection: its raw baseline has no concurrency to vary, so it runs once.
  const raw = await rawPglite();
  for (const { connections, http } of results) report('PGlite', connections, http, raw);
}
console.log('\ntargets: PostgreSQL ≥ 50,000 events/s and ≥ 0.4× raw; PGlite ≥ 15,000 events/s');
