// Usage read latency with many raw events in the period: reads touch counters and hourly rollups, never events.
//   npm run build && node bench/usage-read.mjs
// Env: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), EVENTS (10000000),
//      DURATION_S (10), CONNECTIONS (8), RATE (500: fixed rate for the latency run)
import pg from 'pg';
import { preciseFixedRate } from './lib/fixed-rate.mjs';
import { closedLoop } from './lib/load.mjs';
import { authHeaders, format, scratchDatabase, startServer } from './lib/server.mjs';

const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const events = Number(process.env.EVENTS ?? 10_000_000);
const durationMs = Number(process.env.DURATION_S ?? 10) * 1000;
const connections = Number(process.env.CONNECTIONS ?? 8);
const rate = Number(process.env.RATE ?? 500);

const database = await scratchDatabase(databaseUrl);
try {
  const server = await startServer({ port: 4531, databaseUrl: database.url });
  try {
    await server.api('POST', '/v1/organizations', { id: 'bench_big', name: 'Big', plan: 'enterprise' });
    for (const [index, project] of ['web', 'cli', 'api'].entries()) {
      await server.api('POST', '/v1/events', {
        events: [
          {
            id: `seed-${index}`,
            organization_id: 'bench_big',
            event: 'llm_tokens',
            quantity: 1,
            project_id: project,
          },
        ],
      });
    }
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const seedStarted = performance.now();
    // Raw events in this period, written straight into the table in chunks (the HTTP path is measured
    // by ingest.mjs); the counters are then set to match, as ingestion would have left them.
    const chunk = 1_000_000;
    for (let start = 0; start < events; start += chunk) {
      const count = Math.min(chunk, events - start);
      await client.query(
        `insert into usage_events (organization_id, id, event, feature, project_id, quantity, "timestamp", received_at)
         select 'bench_big', 'bulk-' || n, 'llm_tokens', 'llm_tokens', (array['web','cli','api'])[1 + n % 3], 1 + n % 5,
                now() - (n % 86400) * interval '1 second', now()
         from generate_series($1::bigint, $2::bigint) as n`,
        [start, start + count - 1],
      );
      process.stdout.write(`  seeded ${format(start + count)} events\r`);
    }
    await client.query(
      `update usage_counters c set used = totals.used
       from (select coalesce(project_id, '') as project_id, sum(quantity) as used from usage_events
             where organization_id = 'bench_big' and feature = 'llm_tokens' group by grouping sets ((project_id), ())) totals
       where c.organization_id = 'bench_big' and c.feature = 'llm_tokens' and c.project_id = coalesce(totals.project_id, '')`,
    );
    // The hourly rollups history reads, as ingestion would have left them (seed events included);
    // skipped on builds before rollups, so the same bench times both.
    const { rows: rollupTable } = await client.query(
      `select to_regclass('usage_rollups') is not null as present`,
    );
    if (rollupTable[0].present)
      await client.query(
        `insert into usage_rollups (organization_id, feature, hour, aggregation, value, last_event_at)
       select organization_id, feature, date_trunc('hour', "timestamp", 'UTC'), 'sum', sum(quantity), max("timestamp")
       from usage_events where organization_id = 'bench_big' and feature = 'llm_tokens' group by 1, 2, 3
       on conflict (organization_id, feature, hour) do update set value = excluded.value, last_event_at = excluded.last_event_at`,
      );
    await client.query('analyze');
    await client.end();
    console.log(
      `seeded ${format(events)} events in ${format((performance.now() - seedStarted) / 1000, 0)} s`,
    );
    const url = `${server.baseUrl}/v1/organizations/bench_big/usage`;
    const usage = await server.api('GET', '/v1/organizations/bench_big/usage');
    console.log(
      `llm_tokens used: ${format(usage.features.find((line) => line.feature === 'llm_tokens').used)}`,
    );
    await closedLoop({ url, method: 'GET', headers: authHeaders, connections, durationMs: 2000 });
    const single = await closedLoop({ url, method: 'GET', headers: authHeaders, connections: 1, durationMs });
    const closed = await closedLoop({ url, method: 'GET', headers: authHeaders, connections, durationMs });
    const open = await preciseFixedRate({ url, method: 'GET', headers: authHeaders, rate, durationMs });
    const line = (label, result) =>
      console.log(
        `${label.padEnd(30)} ${format(result.perSecond).padStart(6)} req/s   p50 ${format(result.p50, 2)} ms   p99 ${format(result.p99, 2)} ms   errors ${result.errors}`,
      );
    // The history reads the hourly rollups (not the counters), so it is timed on its own.
    // From two days back, so the series covers every seeded event (the last 24 hours).
    const historyFrom = new Date(Date.now() - 2 * 86_400_000).toISOString();
    const historyTimes = [];
    for (const granularity of ['day', 'hour']) {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const started = performance.now();
        const history = await server.api(
          'GET',
          `/v1/organizations/bench_big/usage/llm_tokens/history?granularity=${granularity}&from=${historyFrom}`,
        );
        historyTimes.push({ granularity, ms: performance.now() - started, points: history.points.length });
      }
    }
    line('GET usage, 1 connection', single);
    line(`GET usage, ${connections} connections`, closed);
    line(`GET usage at ${rate} req/s`, open);
    console.log('target: usage read p99 ≤ 10 ms');
    for (const granularity of ['day', 'hour']) {
      const runs = historyTimes.filter((entry) => entry.granularity === granularity);
      console.log(
        `GET usage history (${granularity}, ${runs[0]?.points} points over ${format(events)} events): ${runs
          .map((entry) => `${format(entry.ms, 0)} ms`)
          .join(', ')}`,
      );
    }
  } finally {
    await server.stop();
  }
} finally {
  await database.drop();
}
