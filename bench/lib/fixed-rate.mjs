// Open-loop load at a fixed rate, run by the C generator in fixed-rate.c: a generator on Node's
// timers sent up to 3-4 ms late at p99 at 5,000 req/s, which hid a p99 target of 2 ms. The binary
// is compiled once per version of the source into the temp directory.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { requestBytes } from './load.mjs';

const SOURCE = fileURLToPath(new URL('./fixed-rate.c', import.meta.url));

function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? signal, stdout, stderr }));
  });
}

async function compiled() {
  const source = await readFile(SOURCE);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const binary = path.join(os.tmpdir(), `tollgate-bench-fixed-rate-${hash}`);
  try {
    await access(binary);
    return binary;
  } catch {
    // not built for this version of the source yet
  }
  // Built under a private name and renamed, so a concurrent run never executes a half-written file.
  const partial = `${binary}.${process.pid}`;
  const compiler = process.env.CC || 'cc';
  const result = await run(compiler, ['-O2', '-o', partial, SOURCE]).catch((error) => {
    if (error.code !== 'ENOENT') throw error;
    throw new Error(`no C compiler found (${compiler}): install gcc, e.g. apt-get install gcc`);
  });
  if (result.code !== 0) throw new Error(`compiling ${SOURCE} failed:\n${result.stderr}`);
  await rename(partial, binary);
  return binary;
}

/** Writes the distinct requests to a file and runs the generator on them (see fixed-rate.c for `flags`). */
async function runGenerator({
  url,
  method,
  headers,
  makeBody,
  distinctRequests,
  flags,
  rate,
  durationMs,
  fifoPriority = 0,
}) {
  const target = new URL(url);
  if (target.protocol !== 'http:') throw new Error(`only http: URLs are supported: ${url}`);
  const chunks = [];
  for (let index = 0; index < (makeBody ? distinctRequests : 1); index += 1) {
    const body = makeBody ? makeBody(index) : undefined;
    const requestHeaders = body ? { 'content-type': 'application/json', ...headers } : headers;
    const bytes = requestBytes(target, method, requestHeaders, body);
    const length = Buffer.alloc(4);
    length.writeUInt32LE(bytes.length);
    chunks.push(length, bytes);
  }
  const binary = await compiled();
  const directory = await mkdtemp(path.join(os.tmpdir(), 'tollgate-bench-'));
  try {
    const file = path.join(directory, 'requests');
    await writeFile(file, Buffer.concat(chunks));
    const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
    const args = [...flags, host, target.port || '80', String(rate), String(durationMs / 1000), file];
    let result;
    let realtime = false;
    if (fifoPriority > 0) {
      // chrt fails (exit 1) where the policy may not be set; the generator then runs as usual.
      result = await run('chrt', ['-f', String(fifoPriority), binary, ...args]).catch(() => undefined);
      realtime = result?.code === 0;
      if (!realtime) result = undefined;
    }
    result ??= await run(binary, args);
    if (result.code !== 0) throw new Error(`fixed-rate exited with ${result.code}: ${result.stderr}`);
    if (result.stderr) process.stderr.write(result.stderr);
    const parsed = JSON.parse(result.stdout);
    for (const [key, value] of Object.entries(parsed)) if (value === null) parsed[key] = Number.NaN;
    return { ...parsed, realtime };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/**
 * Open loop at a fixed rate on `connections` keep-alive connections: requests leave on schedule
 * whatever the answers do, and latency runs from each one's due time, so a stall is not hidden.
 * Request i is built by makeBody(i % distinctRequests). Returns requests, errors, perSecond and the
 * p50, p90, p99, p999, max and sendLatenessP99 in ms (the same fields as closedLoop, and more).
 * spinMicros (default 0: sleep, and send as late as the timer wakes): how long before each due time
 * the generator stops sleeping and polls instead (at SCHED_IDLE, see fixed-rate.c), which takes a
 * whole core from 1,000 req/s up.
 * fifoPriority (default 0: off): run the generator as a SCHED_FIFO task of this priority (through
 * chrt; needs CAP_SYS_NICE, e.g. root), so that where it shares the cores with the server its wake-ups
 * do not queue behind the server's threads (its GC helpers included): a client on another machine
 * would not wait for them either. Not with spinMicros. Where chrt is missing or refused it runs as
 * usual; `realtime` in the result says which.
 * numbered (default false): each ten '#' of a request are replaced by its index as it is sent (as in
 * nativeClosedLoop), so requests repeat no idempotency key or event id.
 * slowLogMs (default 0: off): each answer slower than this is written to stderr as
 * `slow <latency ms> due <due time, ms since the epoch>`, to match stalls with the server's own logs.
 */
export async function preciseFixedRate({
  url,
  method = 'POST',
  headers = {},
  makeBody,
  rate,
  durationMs,
  connections = 64,
  distinctRequests = 4096,
  spinMicros = 0,
  fifoPriority = 0,
  numbered = false,
  slowLogMs = 0,
}) {
  const result = await runGenerator({
    url,
    method,
    headers,
    makeBody,
    distinctRequests,
    flags: [
      ...(numbered ? ['-n'] : []),
      ...(slowLogMs > 0 ? ['-l', String(slowLogMs)] : []),
      '-c',
      String(connections),
      '-s',
      String(spinMicros),
    ],
    rate,
    durationMs,
    fifoPriority: spinMicros === 0 ? fifoPriority : 0,
  });
  return { ...result, targetRate: rate };
}

/**
 * A closed loop like load.mjs's closedLoop (the same result fields), run by the C generator: it took
 * about half closedLoop's CPU per request here (16 – 28 µs against 50 – 55 per consume), CPU that on
 * a 2-core machine the server under test would otherwise lose. Request i is built by
 * makeBody(i % distinctRequests); with `numbered`, each ten '#' of a request (e.g. in its idempotency
 * key) are replaced by its index as it is sent, so no two requests of a run are the same.
 */
export async function nativeClosedLoop({
  url,
  method = 'POST',
  headers = {},
  makeBody,
  connections,
  durationMs,
  distinctRequests = 1024,
  numbered = false,
}) {
  return runGenerator({
    url,
    method,
    headers,
    makeBody,
    distinctRequests,
    flags: ['-k', ...(numbered ? ['-n'] : []), '-c', String(connections)],
    rate: 0,
    durationMs,
  });
}
