// Starts a real Tollgate server (the built dist) in its own process, as production runs it.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const repository = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ADMIN_KEY = 'tg_sk_bench_admin_key_0123456789abcdef';
/**
 * The server's node flags as docs/operations.md tells a two-core machine, like the benchmark's, to run
 * it (decision 25); BENCH_SERVER_V8_POOL_SIZE=default leaves Node's own pool of four.
 */
export const SERVER_NODE_ARGS =
  process.env.BENCH_SERVER_V8_POOL_SIZE === 'default'
    ? []
    : [`--v8-pool-size=${process.env.BENCH_SERVER_V8_POOL_SIZE ?? 1}`];

/** A fresh PostgreSQL database on the server named by BENCH_DATABASE_URL, dropped by `drop`. */
export async function scratchDatabase(baseUrl) {
  const name = `tollgate_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: baseUrl });
      await client.connect();
      await client.query(`drop database if exists "${name}" with (force)`);
      await client.end();
    },
  };
}

/**
 * Starts the server on `port` with PostgreSQL (`databaseUrl`) or PGlite in a temporary directory.
 * `nodeArgs`: flags the benchmark itself gives the server's node, before BENCH_SERVER_NODE_ARGS's;
 * `stderr`: where the server's stderr goes (a file descriptor), by default this process's.
 */
export async function startServer({
  port,
  databaseUrl,
  catalogPath,
  nodeArgs: ownNodeArgs = [],
  stderr = 'inherit',
}) {
  const dataDir = databaseUrl ? undefined : mkdtempSync(path.join(tmpdir(), 'tollgate-bench-'));
  // BENCH_SERVER_NODE_ARGS passes flags to the server's node only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = [
    ...SERVER_NODE_ARGS,
    ...ownNodeArgs,
    ...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean),
  ];
  const child = spawn(
    process.execPath,
    [...nodeArgs, path.join(repository, 'packages/server/dist/main.js')],
    {
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        TOLLGATE_ADMIN_KEY: ADMIN_KEY,
        LOG_LEVEL: 'warn',
        DEMO_DATA: 'false',
        // Its own Stripe sandbox port, so two benchmark servers can run side by side.
        STRIPE_SANDBOX_PORT: String(port + 7000),
        ...(databaseUrl ? { DATABASE_URL: databaseUrl } : { DATA_DIR: dataDir, DATABASE_URL: '' }),
        ...(catalogPath ? { TOLLGATE_CATALOG: catalogPath } : {}),
      },
      stdio: ['ignore', 'pipe', stderr],
    },
  );
  await new Promise((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk) => {
      if (process.env.BENCH_SERVER_STDOUT) appendFileSync(process.env.BENCH_SERVER_STDOUT, chunk);
      output += chunk;
      if (output.includes('Tollgate is running')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl,
    pid: child.pid,
    async api(method, urlPath, body) {
      const response = await fetch(`${baseUrl}${urlPath}`, {
        method,
        headers: {
          authorization: `Bearer ${ADMIN_KEY}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      const json = await response.json();
      if (!response.ok) throw new Error(`${method} ${urlPath}: ${JSON.stringify(json)}`);
      return json;
    },
    async stop() {
      child.removeAllListeners('exit');
      // Already gone (e.g. a Ctrl-C reached it too): there is no exit left to wait for.
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const authHeaders = { authorization: `Bearer ${ADMIN_KEY}` };

export function format(number, digits = 0) {
  return number.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
