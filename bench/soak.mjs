// Soak: mixed ingest, check and credit consume at a fixed rate for SOAK_MINUTES, printing the server's
// resident memory and each kind's p99 every minute, then whether memory stayed flat and whether every
// acknowledged event and consume was counted exactly once (issue 17 point 9).
//   npm run build && node bench/soak.mjs
// Env: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres; a scratch database is
//      created and dropped), SOAK_MINUTES (30), SOAK_LOAD (0.5: the share of the server's measured
//      capacity the mix uses; each kind runs at SOAK_LOAD × its own maximum / 3, so 1.5 would run each
//      at half its own maximum, 150 % of the server in all), PROBE_S (8: seconds of closed loop per kind to measure its maximum),
//      SOAK_CHECK_RATE, SOAK_CONSUME_RATE, SOAK_EVENT_RATE (checks/s, consumes/s, events/s: set all three
//      to skip the probes), BATCH (100 events per ingest request), ORGANIZATIONS (1000),
//      SOAK_HEAP (1: read the server's heap every minute from a diagnostic report; 0: RSS only),
//      SOAK_FLAT_SLOPE (0.5 MB/min) and SOAK_FLAT_GROWTH (0.1): the "memory flat" rule, printed with it.
//
// The load is open loop, from the C generator (bench/lib/fixed-rate.c): request i of a minute is due at
// the minute's start + i/rate whatever the server does, and its latency runs from that due time, so a
// stall is charged to every request it delays. Each minute is one run of three generators side by side
// (each run drains for up to 2 s, so a "minute" is 60 – 62 s).

import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { nativeClosedLoop, preciseFixedRate } from './lib/fixed-rate.mjs';
import { residentMegabytes } from './lib/machine.mjs';
import { format, scratchDatabase, startServer } from './lib/server.mjs';

const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const minutes = Number(process.env.SOAK_MINUTES ?? 30);
const load = Number(process.env.SOAK_LOAD ?? 0.5);
const probeMs = Number(process.env.PROBE_S ?? 8) * 1000;
const batchSize = Number(process.env.BATCH ?? 100);
const organizations = Number(process.env.ORGANIZATIONS ?? 1000);
const readHeap = process.env.SOAK_HEAP !== '0';
const flatSlope = Number(process.env.SOAK_FLAT_SLOPE ?? 0.5);
const flatGrowth = Number(process.env.SOAK_FLAT_GROWTH ?? 0.1);
const MINUTE_MS = 60_000;
const CREDITS_PER_ORGANIZATION = 1_000_000_000;
if (!(minutes >= 1) || !(load > 0 && load <= 3)) throw new Error('SOAK_MINUTES ≥ 1 and 0 < SOAK_LOAD ≤ 3');

const run = randomBytes(3).toString('hex');
const organizationOf = (index) => `soak_org_${index % organizations}`;

/** The three kinds of traffic: what one request is, and what it is worth in the kind's own unit. */
const kinds = {
  check: {
    unit: 'checks',
    path: '/v1/check',
    perRequest: 1,
    connections: 64,
    distinct: organizations,
    body: () => (index) =>
      JSON.stringify({ organization_id: organizationOf(index), feature: 'api_calls', quantity: 1 }),
  },
  consume: {
    unit: 'consumes',
    path: '/v1/credits/consume',
    perRequest: 1,
    connections: 64,
    distinct: organizations,
    body: (tag) => (index) =>
      JSON.stringify({
        organization_id: organizationOf(index),
        event_name: 'api_call_basic',
        idempotency_key: `${run}-${tag}-##########`,
      }),
  },
  ingest: {
    unit: 'events',
    path: '/v1/events',
    perRequest: batchSize,
    connections: 16,
    distinct: 64,
    // Every event id carries the request's number (every ten '#' are replaced), so none repeats.
    body: (tag) => (index) =>
      JSON.stringify({
        events: Array.from({ length: batchSize }, (_, offset) => ({
          id: `${run}-${tag}-##########-${offset}`,
          organization_id: organizationOf(index * 7 + offset * 13),
          event: 'api_calls',
          quantity: 1,
        })),
      }),
  },
};
const kindNames = Object.keys(kinds);

/** Least-squares slope of y over x. */
function slope(points) {
  const n = points.length;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
  let numerator = 0;
  let denominator = 0;
  for (const [x, y] of points) {
    numerator += (x - meanX) * (y - meanY);
    denominator += (x - meanX) ** 2;
  }
  return denominator === 0 ? Number.NaN : numerator / denominator;
}

/**
 * The server's V8 heap in use, in MB, from a diagnostic report it writes on SIGUSR2
 * (--report-on-signal): the server exposes no memory endpoint, and a report costs it a few ms a minute.
 */
async function heapUsedMegabytes(pid, directory) {
  const before = new Set(readdirSync(directory));
  process.kill(pid, 'SIGUSR2');
  for (let waited = 0; waited < 5000; waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const written = readdirSync(directory).find((name) => !before.has(name) && name.endsWith('.json'));
    if (!written) continue;
    const file = path.join(directory, written);
    try {
      const report = JSON.parse(readFileSync(file, 'utf8'));
      rmSync(file, { force: true });
      return report.javascriptHeap.usedMemory / 2 ** 20;
    } catch {
      // still being written
    }
  }
  return Number.NaN;
}

/** Events stored, the counters' sum for them, and the credits consumed so far, read from the database. */
async function totals(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const events = await client.query(
      `select count(*)::text as n from usage_events where feature = 'api_calls'`,
    );
    const counters = await client.query(
      `select coalesce(sum(used), 0)::text as n from usage_counters where feature = 'api_calls' and project_id = ''`,
    );
    const credits = await client.query(
      'select coalesce(sum(amount - remaining), 0)::text as n from credit_lots',
    );
    return {
      events: BigInt(events.rows[0].n),
      counted: BigInt(counters.rows[0].n),
      consumed: BigInt(credits.rows[0].n),
    };
  } finally {
    await client.end();
  }
}

const database = await scratchDatabase(databaseUrl);
const reportDirectory = mkdtempSync(path.join(tmpdir(), 'tollgate-soak-reports-'));
// The server's stderr goes to a file, shown at the end: Node announces each diagnostic report there.
const stderrFile = path.join(reportDirectory, 'server-stderr.log');
const stderr = openSync(stderrFile, 'a');
try {
  const server = await startServer({
    port: 4531,
    databaseUrl: database.url,
    stderr,
    nodeArgs: readHeap
      ? [
          '--report-on-signal',
          '--report-signal=SIGUSR2',
          '--report-compact',
          `--report-directory=${reportDirectory}`,
        ]
      : [],
  });
  try {
    for (let start = 0; start < organizations; start += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, organizations - start) }, async (_, offset) => {
          const id = organizationOf(start + offset);
          await server.api('POST', '/v1/organizations', { id, name: 'Soak', plan: 'standard' });
          await server.api('POST', `/v1/organizations/${id}/credits/grants`, {
            amount: CREDITS_PER_ORGANIZATION,
            source: 'purchased',
            idempotency_key: `soak-seed-${id}`,
          });
        }),
      );
    }
    // A host app's own secret key, as production traffic sends.
    const { secret } = await server.api('POST', '/v1/api-keys', { name: 'soak' });
    const headers = { authorization: `Bearer ${secret}` };
    const urlOf = (kind) => `${server.baseUrl}${kinds[kind].path}`;

    // The maximum of each kind alone, in a closed loop; the mix then gives each kind an equal share of
    // SOAK_LOAD of the machine: rate = SOAK_LOAD × maximum / 3, so that at 0.5 the server is about half busy.
    const given = {
      check: Number(process.env.SOAK_CHECK_RATE) || undefined,
      consume: Number(process.env.SOAK_CONSUME_RATE) || undefined,
      ingest: Number(process.env.SOAK_EVENT_RATE) || undefined,
    };
    const maximum = {};
    const rates = {};
    for (const kind of kindNames) {
      if (given[kind]) {
        rates[kind] = given[kind];
        continue;
      }
      const { body, perRequest, distinct } = kinds[kind];
      const probe = await nativeClosedLoop({
        url: urlOf(kind),
        headers,
        makeBody: body(`probe-${kind}`),
        distinctRequests: distinct,
        numbered: kind !== 'check',
        connections: kind === 'ingest' ? 8 : 32,
        durationMs: probeMs,
      });
      maximum[kind] = probe.perSecond * perRequest;
      rates[kind] = (load * maximum[kind]) / kindNames.length;
    }
    console.log(
      `soak on PostgreSQL: ${minutes} min, ${organizations} organizations, ingest batches of ${batchSize}`,
    );
    for (const kind of kindNames) {
      const measured =
        maximum[kind] === undefined
          ? 'given'
          : `max ${format(maximum[kind])}/s alone (${probeMs / 1000} s closed loop)`;
      console.log(`  ${kind.padEnd(8)} ${format(rates[kind])} ${kinds[kind].unit}/s  (${measured})`);
    }
    console.log(
      `  rule: each kind at SOAK_LOAD ${load} × its maximum / ${kindNames.length}, so the mix is ~${format(load * 100)} % of what the server can do\n`,
    );
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const before = await totals(database.url);

    const header = [
      'min'.padStart(3),
      ...kindNames.map((kind) => `${kind} /s  p50/p99 ms`.padStart(30)),
      'errors'.padStart(7),
      'RSS MB'.padStart(7),
      'heap MB'.padStart(8),
    ].join(' ');
    console.log(header);
    const samples = [];
    const sent = Object.fromEntries(kindNames.map((kind) => [kind, { acknowledged: 0, errors: 0 }]));
    for (let minute = 1; minute <= minutes; minute += 1) {
      const results = await Promise.all(
        kindNames.map((kind) => {
          const { body, perRequest, distinct, connections } = kinds[kind];
          return preciseFixedRate({
            url: urlOf(kind),
            headers,
            makeBody: body(`m${minute}`),
            distinctRequests: distinct,
            numbered: kind !== 'check',
            rate: rates[kind] / perRequest,
            durationMs: MINUTE_MS,
            connections,
          });
        }),
      );
      const rss = residentMegabytes(server.pid);
      const heap = readHeap ? await heapUsedMegabytes(server.pid, reportDirectory) : Number.NaN;
      samples.push({ minute, rss, heap });
      let errors = 0;
      const cells = results.map((result, index) => {
        const kind = kindNames[index];
        sent[kind].acknowledged += result.requests;
        sent[kind].errors += result.errors;
        errors += result.errors;
        const rate = result.perSecond * kinds[kind].perRequest;
        return `${format(rate).padStart(7)}  ${format(result.p50, 2).padStart(7)}/${format(result.p99, 2).padEnd(8)}`.padStart(
          30,
        );
      });
      console.log(
        [
          String(minute).padStart(3),
          ...cells,
          String(errors).padStart(7),
          format(rss ?? Number.NaN, 1).padStart(7),
          format(heap, 1).padStart(8),
        ].join(' '),
      );
    }

    // Memory: the first minute against the last ones, and the trend once the process has warmed up.
    const rssAt = samples.map((sample) => sample.rss);
    const lastCount = Math.min(3, samples.length);
    const last = rssAt.slice(-lastCount).reduce((sum, value) => sum + value, 0) / lastCount;
    const tail = samples.slice(Math.floor(samples.length / 3));
    // A trend needs points: fewer than five minutes after the first third say nothing about a leak.
    const judged = tail.length >= 5;
    const rssSlope = slope(tail.map((sample) => [sample.minute, sample.rss]));
    const heapSlope = readHeap ? slope(tail.map((sample) => [sample.minute, sample.heap])) : Number.NaN;
    const growth = (rssAt[rssAt.length - 1] - tail[0].rss) / tail[0].rss;
    console.log(
      `\nRSS: minute 1 ${format(rssAt[0], 1)} MB, last ${lastCount} minute(s) ${format(last, 1)} MB on average`,
    );
    console.log(
      `RSS slope over the last two thirds (minutes ${tail[0].minute}–${samples.length}): ${format(rssSlope, 2)} MB/min` +
        (readHeap ? `; heap slope ${format(heapSlope, 2)} MB/min` : ''),
    );
    const flat = judged && rssSlope <= flatSlope && growth <= flatGrowth;
    console.log(
      `memory flat: ${judged ? (flat ? 'yes' : 'no') : 'too short to judge (under 7 minutes)'}  ` +
        `(rule: RSS slope over the last two thirds ≤ ${flatSlope} MB/min and the last minute's RSS within ` +
        `${format(flatGrowth * 100)} % of the RSS at the start of those two thirds; here ${format(growth * 100, 1)} %)`,
    );

    // Exact totals: what the server acknowledged must be what the database holds, no more, no less.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const after = await totals(database.url);
    const stored = Number(after.events - before.events);
    const counted = Number(after.counted - before.counted);
    const consumed = Number(after.consumed - before.consumed);
    const acknowledgedEvents = sent.ingest.acknowledged * batchSize;
    // A request without an answer (an error) may or may not have been applied: the totals must then
    // lie between what was acknowledged and what was sent.
    const within = (value, acknowledged, unanswered) =>
      unanswered === 0 ? value === acknowledged : value >= acknowledged && value <= acknowledged + unanswered;
    const eventsExact =
      within(stored, acknowledgedEvents, sent.ingest.errors * batchSize) && counted === stored;
    const consumesExact = within(consumed, sent.consume.acknowledged, sent.consume.errors);
    console.log(
      `events: ${format(acknowledgedEvents)} acknowledged (${format(sent.ingest.errors)} requests unanswered or refused), ` +
        `${format(stored)} stored, ${format(counted)} counted → exact: ${eventsExact ? 'yes' : 'no'}`,
    );
    console.log(
      `consumes: ${format(sent.consume.acknowledged)} acknowledged (${format(sent.consume.errors)} unanswered or refused), ` +
        `${format(consumed)} credits debited → exact: ${consumesExact ? 'yes' : 'no'}`,
    );
    console.log(`checks: ${format(sent.check.acknowledged)} answered, ${format(sent.check.errors)} errors`);
  } finally {
    await server.stop();
  }
} finally {
  closeSync(stderr);
  const reportNotice = /^(Writing Node\.js report to file: .*|Node\.js report completed)?$/;
  const serverErrors = readFileSync(stderrFile, 'utf8')
    .split('\n')
    .filter((line) => !reportNotice.test(line.trim()));
  if (serverErrors.length > 0) console.log(`\nthe server's stderr:\n${serverErrors.join('\n')}`);
  rmSync(reportDirectory, { recursive: true, force: true });
  await database.drop();
}
