// Check and consume benchmark, beside a bare Fastify route with the same body, in the same run.
//   npm run build && node bench/check.mjs
// Env: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), DURATION_S (10),
//      CONNECTIONS (32), RATE (5000: the fixed rate for the latency run), ORGANIZATIONS (1000),
//      ROUNDS (5: alternating bare/check rounds sharing DURATION_S, for the closed loop and the fixed rate),
//      SPIN_US (0: how long before a due time the C generator stops sleeping and polls; see fixed-rate.c),
//      GENERATOR_FIFO (10: the C generator's SCHED_FIFO priority where permitted; 0 runs it as usual),
//      CONSUME_CONNECTIONS (32,64: consumes are measured at each level; a closed loop measures the
//      server's capacity only once it keeps enough requests in flight to saturate it),
//      MIX_CHECK_RATE (2000) and MIX_EVENT_RATE (10000: checks/s and events/s of the fixed-rate mixed round),
//      MIX_ROUNDS (3: mixed rounds of DURATION_S each; the line shows the one with the median p99),
//      MIX_SLOW_LOG_MS (0: off; else each check of the mixed rounds slower than this is written to
//      stderr with its due time, see fixed-rate.c's -l, to match with the server's --trace-gc or perf)

import { startBareServer } from './lib/bare.mjs';
import { nativeClosedLoop, preciseFixedRate } from './lib/fixed-rate.mjs';
import { closedLoop } from './lib/load.mjs';
import { withCpuPerOperation, withMachineShares } from './lib/machine.mjs';
import { format, SERVER_NODE_ARGS, scratchDatabase, startServer } from './lib/server.mjs';

const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const durationMs = Number(process.env.DURATION_S ?? 10) * 1000;
const connections = Number(process.env.CONNECTIONS ?? 32);
const rate = Number(process.env.RATE ?? 5000);
const organizations = Number(process.env.ORGANIZATIONS ?? 1000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const spinMicros = Number(process.env.SPIN_US ?? 0);
const fifoPriority = Number(process.env.GENERATOR_FIFO ?? 10);
const consumeConnectionLevels = (process.env.CONSUME_CONNECTIONS ?? '32,64').split(',').map(Number);
const mixCheckRate = Number(process.env.MIX_CHECK_RATE ?? 2000);
const mixEventRate = Number(process.env.MIX_EVENT_RATE ?? 10000);
const mixRounds = Number(process.env.MIX_ROUNDS ?? 3);
const mixSlowLogMs = Number(process.env.MIX_SLOW_LOG_MS ?? 0);

const checkBody = (index) =>
  JSON.stringify({
    organization_id: `bench_org_${index % organizations}`,
    feature: 'api_calls',
    quantity: 1,
  });
/** The item whose `measure` is the median (the upper one of an even count). */
const medianBy = (items, measure) =>
  [...items].sort((a, b) => measure(a) - measure(b))[Math.floor(items.length / 2)];
const line = (label, result) =>
  console.log(
    `${label.padEnd(42)} ${format(result.perSecond).padStart(7)} req/s   p50 ${format(result.p50, 2)} ms   p99 ${format(result.p99, 2)} ms   errors ${result.errors}`,
  );

const bare = await startBareServer(4520);
const bareUrl = `${bare.baseUrl}/v1/check`;

const database = await scratchDatabase(databaseUrl);
try {
  const server = await startServer({ port: 4521, databaseUrl: database.url });
  try {
    // Standard plan: api_calls are soft-capped with an overage price, so consumes keep succeeding.
    for (let start = 0; start < organizations; start += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, organizations - start) }, (_, offset) =>
          server.api('POST', '/v1/organizations', {
            id: `bench_org_${start + offset}`,
            name: 'Bench',
            plan: 'standard',
          }),
        ),
      );
    }
    // A host app's own secret key, as production traffic sends. The bare route gets the very same
    // request bytes (it ignores the header), so the baseline parses what the check parses.
    const { secret } = await server.api('POST', '/v1/api-keys', { name: 'bench' });
    const authHeaders = { authorization: `Bearer ${secret}` };
    const url = `${server.baseUrl}/v1/check`;
    await nativeClosedLoop({
      url,
      headers: authHeaders,
      makeBody: checkBody,
      distinctRequests: organizations,
      connections,
      durationMs: 2000,
    });
    await nativeClosedLoop({
      url: bareUrl,
      headers: authHeaders,
      makeBody: checkBody,
      distinctRequests: organizations,
      connections,
      durationMs: 2000,
    });
    // Bare route and check alternate in rounds, so a drift of the shared host's speed hits both sides
    // alike; the ratio reported is the median of the rounds' ratios.
    const roundMs = Math.max(1000, Math.floor(durationMs / ROUNDS));
    const rounds = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const bareRound = await nativeClosedLoop({
        url: bareUrl,
        headers: authHeaders,
        makeBody: checkBody,
        distinctRequests: organizations,
        connections,
        durationMs: roundMs,
      });
      const checkRound = await nativeClosedLoop({
        url,
        headers: authHeaders,
        makeBody: checkBody,
        distinctRequests: organizations,
        connections,
        durationMs: roundMs,
      });
      rounds.push({ bare: bareRound, check: checkRound, ratio: checkRound.perSecond / bareRound.perSecond });
    }
    const median = medianBy(rounds, (round) => round.ratio);
    const bareResult = median.bare;
    const check = median.check;
    const checkSingle = await nativeClosedLoop({
      url,
      headers: authHeaders,
      makeBody: checkBody,
      distinctRequests: organizations,
      connections: 1,
      durationMs,
    });
    // At a fixed rate, from the C generator (Node's timers alone send late by more than the 2 ms target),
    // bare route and check alternating as above. Each round also says how late the generator itself
    // sent (its p99): a round where that is high measured the machine, not the server.
    const rateRounds = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const atRate = (target) =>
        withMachineShares(() =>
          preciseFixedRate({
            url: target,
            headers: authHeaders,
            makeBody: checkBody,
            distinctRequests: organizations,
            rate,
            durationMs: roundMs,
            spinMicros,
            fifoPriority,
          }),
        );
      rateRounds.push({ bare: await atRate(bareUrl), check: await atRate(url) });
    }
    const medianOf = (side) => medianBy(rateRounds, (round) => round[side].p99)[side];
    const bareAtRate = medianOf('bare');
    const checkAtRate = medianOf('check');
    // Each consume carries its own idempotency key, as the client SDK sends one with every consume:
    // the generator writes each request's number over the ten '#' (numbered).
    const consumeBody = (run, organizationOf) => (index) =>
      JSON.stringify({
        organization_id: organizationOf(index),
        feature: 'api_calls',
        quantity: 1,
        consume: true,
        idempotency_key: `${run}-##########`,
      });
    // Warm-up, as for the checks: the consume path's JIT, and each organization's first consume, which
    // is decided under lock because nothing of its counter is remembered yet (decision 10).
    await nativeClosedLoop({
      url,
      headers: authHeaders,
      makeBody: consumeBody('warm-up', (index) => `bench_org_${index % organizations}`),
      distinctRequests: organizations,
      numbered: true,
      connections,
      durationMs: 2000,
    });
    const consumeLevels = [];
    for (const consumeConnections of consumeConnectionLevels) {
      const across = await withCpuPerOperation(server.pid, () =>
        nativeClosedLoop({
          url,
          headers: authHeaders,
          makeBody: consumeBody(
            `across-${consumeConnections}`,
            (index) => `bench_org_${index % organizations}`,
          ),
          distinctRequests: organizations,
          numbered: true,
          connections: consumeConnections,
          durationMs,
        }),
      );
      const one = await withCpuPerOperation(server.pid, () =>
        nativeClosedLoop({
          url,
          headers: authHeaders,
          makeBody: consumeBody(`one-${consumeConnections}`, () => 'bench_org_0'),
          distinctRequests: 1,
          numbered: true,
          connections: consumeConnections,
          durationMs,
        }),
      );
      consumeLevels.push({ connections: consumeConnections, across, one });
    }
    // Checks while events stream in for the same organizations: each ingest transaction moves the
    // counters its process remembers (other processes would forget them and read them again), so the
    // checks share the request thread with the worker's messages and both cores with PostgreSQL.
    const eventsPerRequest = 100;
    // Request `index` of a run: its own event ids (prefixed by the run), spread over the organizations.
    const eventsBodyOf = (run) => (index) =>
      JSON.stringify({
        events: Array.from({ length: eventsPerRequest }, (_, offset) => ({
          id: `${run}_${index}_${offset}`,
          organization_id: `bench_org_${(index * eventsPerRequest + offset * 7) % organizations}`,
          event: 'api_calls',
        })),
      });
    const eventsBody = eventsBodyOf('mixed');
    const ingestAlongside = closedLoop({
      url: `${server.baseUrl}/v1/events`,
      headers: authHeaders,
      makeBody: eventsBody,
      connections: 2,
      durationMs,
    });
    const checkWhileIngesting = await nativeClosedLoop({
      url,
      headers: authHeaders,
      makeBody: checkBody,
      distinctRequests: organizations,
      connections,
      durationMs,
    });
    const ingested = await ingestAlongside;
    // The same at fixed rates, as production sees it: checks at MIX_CHECK_RATE/s from the C generator
    // while MIX_EVENT_RATE events/s are sent, on schedule, into the same organizations (each request
    // of 100 events unique, so every event is stored and counted). One 10-second round is at the mercy
    // of whatever else the host does in it: the line reports the round with the median p99 of MIX_ROUNDS.
    const mixedRequests = Math.ceil((mixEventRate / eventsPerRequest) * (durationMs / 1000)) + 1;
    // Each round first sends the same checks alone, so that the host's own noise at that moment (which
    // on this shared VM alone can exceed the target) can be told from what ingestion adds.
    const checksAtMixedRate = (slowLogMs = 0) =>
      preciseFixedRate({
        url,
        headers: authHeaders,
        makeBody: checkBody,
        distinctRequests: organizations,
        rate: mixCheckRate,
        durationMs,
        spinMicros,
        fifoPriority,
        slowLogMs,
      });
    const mixedRounds = [];
    const aloneRounds = [];
    for (let round = 0; round < mixRounds; round += 1) {
      aloneRounds.push(await checksAtMixedRate());
      const fixedEventsBody = eventsBodyOf(`fixed${round}`);
      mixedRounds.push(
        await withMachineShares(async () => {
          const [checks, events] = await Promise.all([
            checksAtMixedRate(mixSlowLogMs),
            preciseFixedRate({
              url: `${server.baseUrl}/v1/events`,
              headers: authHeaders,
              makeBody: fixedEventsBody,
              distinctRequests: mixedRequests,
              rate: mixEventRate / eventsPerRequest,
              durationMs,
              connections: 8,
            }),
          ]);
          return { checks, events };
        }),
      );
    }
    const mixed = medianBy(mixedRounds, (round) => round.checks.p99);
    const { checks: checkAtMixedRate, events: eventsAtMixedRate } = mixed;
    console.log(
      `check/consume on PostgreSQL, ${connections} connections, ${durationMs / 1000} s per run; server: node ${SERVER_NODE_ARGS.join(' ')}\n`,
    );
    line('bare Fastify route (closed loop)', bareResult);
    line('POST /v1/check (closed loop)', check);
    console.log(
      `  ratio to the bare route: ${format(median.ratio, 2)}× (median of ${ROUNDS} alternating rounds: ${rounds
        .map((entry) => format(entry.ratio, 2))
        .join(', ')})  (target ≥ 0.5×)`,
    );
    line('POST /v1/check (1 connection)', checkSingle);
    line(`bare route at ${rate} req/s (median p99)`, bareAtRate);
    line(`POST /v1/check at ${rate} req/s (median p99)`, checkAtRate);
    const p99s = (side) => rateRounds.map((entry) => format(entry[side].p99, 2)).join(', ');
    const lateness = rateRounds
      .map((entry) => `${format(entry.bare.sendLatenessP99, 2)}/${format(entry.check.sendLatenessP99, 2)}`)
      .join(', ');
    console.log(`  rounds' p99, bare: ${p99s('bare')}; check: ${p99s('check')} ms`);
    const realtime = rateRounds.every((entry) => entry.bare.realtime && entry.check.realtime);
    console.log(
      `  generator's own send lateness p99 (bare/check) per round: ${lateness} ms (${realtime ? `SCHED_FIFO priority ${fifoPriority}` : 'normal scheduling'})`,
    );
    const steal = rateRounds
      .map((entry) => `${format(entry.bare.steal * 100, 1)}/${format(entry.check.steal * 100, 1)}`)
      .join(', ');
    console.log(`  CPU time taken by the hypervisor (steal, bare/check) per round: ${steal} %`);
    console.log('  target: p99 ≤ 2 ms at 5k req/s');
    line('POST /v1/check while ingesting', checkWhileIngesting);
    console.log(
      `  alongside: ${format(ingested.perSecond * eventsPerRequest)} events/s ingested for the same organizations (2 connections, ${eventsPerRequest} per request)`,
    );
    line(`POST /v1/check at ${mixCheckRate}/s while ingesting (median p99)`, checkAtMixedRate);
    console.log(`  rounds' p99: ${mixedRounds.map((round) => format(round.checks.p99, 2)).join(', ')} ms`);
    const aloneMedian = medianBy(aloneRounds, (round) => round.p99);
    console.log(
      `  the same checks alone just before each round: median p99 ${format(aloneMedian.p99, 2)} ms (rounds: ${aloneRounds.map((round) => format(round.p99, 2)).join(', ')})`,
    );
    console.log(
      `  alongside, at a fixed rate: ${format(eventsAtMixedRate.perSecond * eventsPerRequest)} events/s ingested of ${format(mixEventRate)} asked (p99 ${format(eventsAtMixedRate.p99, 2)} ms per request of ${eventsPerRequest}, errors ${eventsAtMixedRate.errors}); generator's send lateness p99 ${format(checkAtMixedRate.sendLatenessP99, 2)} ms; steal ${format(mixed.steal * 100, 1)} %`,
    );
    console.log(`  target: p99 ≤ 5 ms at ${mixCheckRate} checks/s with ${mixEventRate} events/s`);
    const cpuLine = ({ cpu }) =>
      console.log(
        `  CPU per consume: server ${format(cpu.server)} µs, PostgreSQL ${format(cpu.postgres)} µs, load generator ${format(cpu.generator)} µs → ~${format(cpu.capacity)}/s would fill this machine's cores`,
      );
    for (const level of consumeLevels) {
      line(`consume across ${organizations} orgs, ${level.connections} conns`, level.across);
      cpuLine(level.across);
      line(`consume on one org, ${level.connections} conns`, level.one);
      cpuLine(level.one);
    }
    console.log('  targets: ≥ 5,000/s across organizations, ≥ 2,000/s on one');
  } finally {
    await server.stop();
  }
} finally {
  await bare.stop();
  await database.drop();
}
