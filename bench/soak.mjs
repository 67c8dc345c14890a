// Soak: mixed ingest, check and credit consume at a fixed rate for SOAK_MINUTES, printing the server's
// resident memory after a forced full garbage collection, its live heap and each kind's p99 every minute,
// then whether memory stayed flat, whether every acknowledged event and consume was counted exactly once
// (issue 17 point 9), and the statements PostgreSQL spent most time on.
//   npm run build && node bench/soak.mjs
// Env: BENCH_DATABASE_URL (unset: a private PostgreSQL 15 cluster in a temporary directory, set up for a
//      write-heavy half hour, removed at the end; set: that server, in a scratch database created and
//      dropped), SOAK_MINUTES (30), SOAK_LOAD (0.5: the share of the server's measured
//      capacity the mix uses; each kind runs at SOAK_LOAD × its own maximum / 3, so 1.5 would run each
//      at half its own maximum, 150 % of the server in all), PROBE_S (8: seconds of closed loop per kind to measure its maximum),
//      SOAK_CHECK_RATE, SOAK_CONSUME_RATE, SOAK_EVENT_RATE (checks/s, consumes/s, events/s: set all three
//      to skip the probes), BATCH (100 events per ingest request), ORGANIZATIONS (1000),
//      SOAK_HEAP (1: each minute, force a full GC in the server through its inspector and read RSS and
//      the heap after it, the verdict then on RSS after GC; 0: no inspector, RSS as read only),
//      SOAK_FLAT_SLOPE (0.5 MB/min) and SOAK_FLAT_GROWTH (0.1): the "memory flat" rule, printed with it.
//
// The load is open loop, from the C generator (bench/lib/fixed-rate.c): request i of a minute is due at
// the minute's start + i/rate whatever the server does, and its latency runs from that due time, so a
// stall is charged to every request it delays. Each minute is one run of three generators side by side
// (each run drains for up to 2 s, so a "minute" is 60 – 62 s).

import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { nativeClosedLoop, preciseFixedRate } from './lib/fixed-rate.mjs';
import { connectInspector } from './lib/inspector-client.mjs';
import { residentMegabytes } from './lib/machine.mjs';
import { startPrivatePostgres } from './lib/private-postgres.mjs';
import { format, scratchDatabase, startServer } from './lib/server.mjs';

const givenDatabaseUrl = process.env.BENCH_DATABASE_URL;
const minutes = Number(process.env.SOAK_MINUTES ?? 30);
const load = Number(process.env.SOAK_LOAD ?? 0.5);
const probeMs = Number(process.env.PROBE_S ?? 8) * 1000;
const batchSize = Number(process.env.BATCH ?? 100);
const organizations = Number(process.env.ORGANIZATIONS ?? 1000);
const collectEachMinute = process.env.SOAK_HEAP !== '0';
const flatSlope = Number(process.env.SOAK_FLAT_SLOPE ?? 0.5);
const flatGrowth = Number(process.env.SOAK_FLAT_GROWTH ?? 0.1);
const MINUTE_MS = 60_000;
const SERVER_PORT = 4531;
// The server's inspector listens here, on loopback only, for the soak's own DevTools session.
const INSPECTOR_PORT = 9531;
/**
 * The private cluster's settings for half an hour of writes: 1 GB of buffers and room for 8 GB of WAL,
 * so that checkpoints come from the 15-minute timer rather than every ~2 minutes from WAL volume (as on
 * the shared server's 128 MB / 1 GB); durability as in production (fsync and synchronous commit on);
 * pg_stat_statements to say where the database's time went.
 */
const PRIVATE_POSTGRES_SETTINGS = {
  shared_buffers: '1GB',
  max_wal_size: '8GB',
  checkpoint_timeout: '15min',
  fsync: 'on',
  synchronous_commit: 'on',
  log_checkpoints: 'on',
  shared_preload_libraries: 'pg_stat_statements',
};
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
 * The server's memory at the end of a minute: RSS as read, then — with an inspector session — RSS and
 * V8's heap in use right after a full garbage collection, so that what is printed is what the server
 * retains, not garbage it has not collected yet. The collection runs between minutes, off the clock.
 */
async function memoryOf(pid, inspector) {
  const rss = residentMegabytes(pid) ?? Number.NaN;
  if (!inspector) return { rss, rssAfterGc: Number.NaN, heap: Number.NaN };
  await inspector.call('HeapProfiler.collectGarbage');
  const { usedSize } = await inspector.call('Runtime.getHeapUsage');
  // V8 hands freed pages back to the system from background threads: give them a moment.
  await new Promise((resolve) => setTimeout(resolve, 200));
  return { rss, rssAfterGc: residentMegabytes(pid) ?? Number.NaN, heap: usedSize / 2 ** 20 };
}

/** Runs `work` on a connection of its own to `url`, closed afterwards. */
async function onConnection(url, work) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Whether pg_stat_statements works in the database; if so, its counts for that database start again. */
const resetStatementStatistics = (url) =>
  onConnection(url, async (client) => {
    try {
      await client.query('create extension if not exists pg_stat_statements');
      // Only this database's entries: on a shared server, other databases' statistics stay as they are.
      await client.query(
        'select pg_stat_statements_reset(0, (select oid from pg_database where datname = current_database()), 0)',
      );
      return { available: true };
    } catch (error) {
      return { available: false, reason: error.message };
    }
  });

/** The database's five statements with the most execution time since the reset. */
const topStatements = (url) =>
  onConnection(url, async (client) => {
    const { rows } = await client.query(
      `select calls::text, total_exec_time, mean_exec_time, query from pg_stat_statements
        where dbid = (select oid from pg_database where datname = current_database())
        order by total_exec_time desc limit 5`,
    );
    return rows;
  });

/** Events stored, the counters' sum for them, and the credits consumed so far, read from the database. */
const totals = (url) =>
  onConnection(url, async (client) => {
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
  });

// What to undo at the end, last set up first undone: on success, on an error, and on Ctrl-C (SIGINT) or
// SIGTERM, which would otherwise end this process and leave the server and the private cluster running.
const cleanups = [];
let cleaning;
function cleanUp() {
  cleaning ??= (async () => {
    while (cleanups.length > 0) {
      const step = cleanups.pop();
      try {
        await step();
      } catch (error) {
        console.error(`clean-up: ${error.message}`);
      }
    }
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    console.log(`\n${signal}: stopping the server and PostgreSQL`);
    await cleanUp();
    process.exit(130);
  });
}

try {
  let baseUrl = givenDatabaseUrl;
  let privatePostgres;
  if (!baseUrl) {
    privatePostgres = await startPrivatePostgres(PRIVATE_POSTGRES_SETTINGS, (destroy) =>
      cleanups.push(destroy),
    );
    baseUrl = privatePostgres.url;
  }
  const database = await scratchDatabase(baseUrl);
  // A private cluster is removed whole; a scratch database on a given server is dropped.
  if (!privatePostgres) cleanups.push(() => database.drop());

  // The server's stderr goes to a file, shown at the end without the inspector's own notices.
  const stderrDirectory = mkdtempSync(path.join(tmpdir(), 'tollgate-soak-stderr-'));
  const stderrFile = path.join(stderrDirectory, 'server-stderr.log');
  const stderr = openSync(stderrFile, 'a');
  cleanups.push(() => {
    closeSync(stderr);
    const inspectorNotice =
      /^(Debugger listening on |Debugger attached\.|Debugger ending on |For help, see: |$)/;
    const serverErrors = readFileSync(stderrFile, 'utf8')
      .split('\n')
      .filter((line) => !inspectorNotice.test(line.trim()));
    if (serverErrors.length > 0) console.log(`\nthe server's stderr:\n${serverErrors.join('\n')}`);
    rmSync(stderrDirectory, { recursive: true, force: true });
  });

  const server = await startServer({
    port: SERVER_PORT,
    databaseUrl: database.url,
    stderr,
    nodeArgs: collectEachMinute ? [`--inspect=127.0.0.1:${INSPECTOR_PORT}`] : [],
  });
  cleanups.push(() => server.stop());
  // Closed before the server stops: a node with a debugger attached waits for it to leave before exiting.
  const inspector = collectEachMinute ? await connectInspector(INSPECTOR_PORT) : undefined;
  if (inspector) {
    cleanups.push(() => inspector.close());
    // Another process may hold the port (node then starts without an inspector): make sure it is ours.
    const { result } = await inspector.call('Runtime.evaluate', { expression: 'process.pid' });
    if (result.value !== server.pid)
      throw new Error(`the inspector on port ${INSPECTOR_PORT} is not the server's`);
  }
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
  console.log(
    privatePostgres
      ? `  database: a private PostgreSQL 15 cluster (${Object.entries(privatePostgres.settings)
          .map(([name, value]) => `${name}=${value}`)
          .join(', ')})`
      : '  database: the server of BENCH_DATABASE_URL, in a scratch database',
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
  const statements = await resetStatementStatistics(database.url);
  const logBefore = privatePostgres ? (await privatePostgres.log()).length : 0;

  const header = [
    'min'.padStart(3),
    ...kindNames.map((kind) => `${kind} /s  p50/p99 ms`.padStart(30)),
    'errors'.padStart(7),
    'RSS MB'.padStart(7),
    ...(inspector ? ['after GC: RSS MB'.padStart(16), 'heap MB'.padStart(8)] : []),
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
    const memory = await memoryOf(server.pid, inspector);
    // The verdict's reading: what the server retains once garbage is collected, if it can be asked to.
    samples.push({ minute, ...memory, judged: inspector ? memory.rssAfterGc : memory.rss });
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
        format(memory.rss, 1).padStart(7),
        ...(inspector ? [format(memory.rssAfterGc, 1).padStart(16), format(memory.heap, 1).padStart(8)] : []),
      ].join(' '),
    );
  }

  // Memory: the first minute against the last ones, and the trend once the process has warmed up, on
  // RSS after a forced full GC (or as read, with SOAK_HEAP=0).
  const reading = inspector ? 'RSS after a forced full GC' : 'RSS as read (no forced GC)';
  const judgedAt = samples.map((sample) => sample.judged);
  const lastCount = Math.min(3, samples.length);
  const last = judgedAt.slice(-lastCount).reduce((sum, value) => sum + value, 0) / lastCount;
  const tail = samples.slice(Math.floor(samples.length / 3));
  // A trend needs points: fewer than five minutes after the first third say nothing about a leak.
  const judged = tail.length >= 5;
  const slopeOf = (field) => slope(tail.map((sample) => [sample.minute, sample[field]]));
  const judgedSlope = slopeOf('judged');
  const growth = (judgedAt[judgedAt.length - 1] - tail[0].judged) / tail[0].judged;
  console.log(
    `\n${reading}: minute 1 ${format(judgedAt[0], 1)} MB, last ${lastCount} minute(s) ${format(last, 1)} MB on average`,
  );
  console.log(
    `slopes over the last two thirds (minutes ${tail[0].minute}–${samples.length}): ${reading} ${format(judgedSlope, 2)} MB/min` +
      (inspector
        ? `; live heap ${format(slopeOf('heap'), 2)} MB/min; RSS before GC ${format(slopeOf('rss'), 2)} MB/min`
        : ''),
  );
  const flat = judged && judgedSlope <= flatSlope && growth <= flatGrowth;
  console.log(
    `memory flat: ${judged ? (flat ? 'yes' : 'no') : 'too short to judge (under 7 minutes)'}  ` +
      `(rule, on ${reading}: its slope over the last two thirds ≤ ${flatSlope} MB/min and the last minute's within ` +
      `${format(flatGrowth * 100)} % of the one at the start of those two thirds; here ${format(growth * 100, 1)} %)`,
  );
  // Read before the totals below, whose counts over the grown tables would top the list.
  const top = statements.available ? await topStatements(database.url) : [];
  const checkpoints = privatePostgres
    ? [...(await privatePostgres.log()).slice(logBefore).matchAll(/checkpoint starting: ([^\n]*)/g)].map(
        (match) => match[1].trim(),
      )
    : undefined;

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
  if (checkpoints) {
    const reasons = {};
    for (const reason of checkpoints) reasons[reason] = (reasons[reason] ?? 0) + 1;
    const byReason = Object.entries(reasons).map(([reason, count]) => `${count} × ${reason}`);
    console.log(
      `PostgreSQL checkpoints during the soak: ${checkpoints.length}${byReason.length > 0 ? ` (${byReason.join(', ')})` : ''}`,
    );
  }
  if (!statements.available) {
    console.log(`\npg_stat_statements: not available on this server (${statements.reason})`);
  } else {
    console.log(
      '\ntop 5 statements by total execution time during the soak (pg_stat_statements, this database):',
    );
    console.log(`${'total s'.padStart(9)} ${'calls'.padStart(11)} ${'mean ms'.padStart(9)}  query`);
    for (const row of top) {
      const query = row.query.replace(/\s+/g, ' ').trim().slice(0, 80);
      console.log(
        `${format(row.total_exec_time / 1000, 1).padStart(9)} ${format(Number(row.calls)).padStart(11)} ${format(row.mean_exec_time, 3).padStart(9)}  ${query}`,
      );
    }
  }
} finally {
  await cleanUp();
}
