// Credit consume throughput over HTTP on PostgreSQL: across many organizations and on one.
// Run: npm run build && BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node bench/credits-consume.mjs
// Creates a scratch database, seeds organizations with credits, then drives POST /v1/credits/consume
// from a worker thread (its own event loop) with keep-alive connections. Prints req/s and latency.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const ADMIN_KEY = 'tg_sk_bench_admin_key_0123456789abcdef';

if (!isMainThread) {
  const { port, organizations, connections, seconds, tag, path } = workerData;
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies = [];
  let sequence = 0;
  let failures = 0;
  let refused = 0;
  const deadline = performance.now() + seconds * 1000;
  const post = (body) =>
    new Promise((resolve) => {
      const payload = JSON.stringify(body);
      const request = http.request(
        {
          port,
          host: '127.0.0.1',
          method: path === '/v1/credits/consume' ? 'POST' : 'GET',
          path,
          agent,
          headers:
            path === '/v1/credits/consume'
              ? {
                  authorization: `Bearer ${ADMIN_KEY}`,
                  'content-type': 'application/json',
                  'content-length': Buffer.byteLength(payload),
                }
              : {},
        },
        (response) => {
          const chunks = [];
          response.on('data', (chunk) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode, text: Buffer.concat(chunks).toString() }),
          );
        },
      );
      request.on('error', (error) => resolve({ status: 0, text: String(error.code ?? error.message) }));
      request.end(path === '/v1/credits/consume' ? payload : undefined);
    });
  const loop = async () => {
    while (performance.now() < deadline) {
      const index = sequence++;
      const organization = organizations[index % organizations.length];
      const started = performance.now();
      const response = await post({
        organization_id: organization,
        event_name: 'api_call_basic',
        idempotency_key: `${tag}-${index}`,
      });
      latencies.push(performance.now() - started);
      if (response.status !== 200) {
        failures++;
        if (failures === 1) console.error(`first failure: ${response.status} ${response.text.slice(0, 200)}`);
      } else if (path === '/v1/credits/consume' && !response.text.includes('"allowed":true')) refused++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, loop));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  parentPort.postMessage({
    requests: latencies.length,
    elapsed,
    failures,
    refused,
    p50: at(0.5),
    p99: at(0.99),
  });
  agent.destroy();
} else {
  const { createTollgate } = await import('../packages/server/dist/index.js');
  const { Catalog, demoCatalog } = await import('../packages/core/dist/index.js');
  const pg = (await import('pg')).default;
  const adminUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (!adminUrl)
    throw new Error('set BENCH_DATABASE_URL to a PostgreSQL server (a scratch database is created on it)');
  const name = `tollgate_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const seconds = Number(process.env.BENCH_SECONDS ?? 5);
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
  const tollgate = await createTollgate({
    databaseUrl: url.toString(),
    catalog: Catalog.from(demoCatalog),
    adminKey: ADMIN_KEY,
    databasePoolSize: Number(process.env.BENCH_POOL ?? 20),
    logger: false,
  });
  try {
    const inject = (method, path, body) =>
      tollgate.app.inject({
        method,
        url: path,
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
        payload: body,
      });
    const organizations = Array.from({ length: 1000 }, (_, index) => `org_bench_${index}`);
    for (const id of organizations) {
      await inject('POST', '/v1/organizations', { id, name: id });
      await inject('POST', `/v1/organizations/${id}/credits/grants`, {
        amount: 1_000_000_000,
        source: 'purchased',
        idempotency_key: `seed-${id}`,
      });
    }
    const address = await tollgate.app.listen({ port: 0, host: '127.0.0.1' });
    const port = Number(new URL(address).port);
    const run = (label, targets, path = '/v1/credits/consume') =>
      new Promise((resolve, reject) => {
        const worker = new Worker(new URL(import.meta.url), {
          workerData: { port, organizations: targets, connections, seconds, tag: label, path },
        });
        worker.once('message', (result) => {
          const rate = result.requests / result.elapsed;
          console.log(
            `${label.padEnd(22)} ${rate.toFixed(0).padStart(6)} consumes/s  p50 ${result.p50.toFixed(2)} ms  p99 ${result.p99.toFixed(2)} ms  ` +
              `(${result.requests} requests, ${connections} connections, ${result.failures} errors, ${result.refused} refused)`,
          );
          resolve(result);
        });
        worker.once('error', reject);
      });
    console.log(`PostgreSQL, one server process, pool ${process.env.BENCH_POOL ?? 20}, ${seconds}s per run`);
    await run('baseline GET /healthz', organizations, '/healthz');
    await run('across 1,000 orgs', organizations);
    await run('one organization', [organizations[0]]);
  } finally {
    await tollgate.close();
    await admin.query(`drop database if exists "${name}"`);
    await admin.end();
  }
}
