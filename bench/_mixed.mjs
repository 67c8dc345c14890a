import { preciseFixedRate, nativeClosedLoop } from './lib/fixed-rate.mjs';
import { withMachineShares } from './lib/machine.mjs';
import { format, scratchDatabase, startServer } from './lib/server.mjs';
const organizations = 1000, durationMs = Number(process.env.DURATION_S ?? 10) * 1000;
const database = await scratchDatabase('postgres://postgres@127.0.0.1:5432/postgres');
const server = await startServer({ port: 4621, databaseUrl: database.url });
try {
  for (let s = 0; s < organizations; s += 50) await Promise.all(Array.from({ length: 50 }, (_, o) => server.api('POST', '/v1/organizations', { id: `bench_org_${s + o}`, name: 'B', plan: 'standard' })));
  const { secret } = await server.api('POST', '/v1/api-keys', { name: 'bench' });
  const headers = { authorization: `Bearer ${secret}` };
  const url = `${server.baseUrl}/v1/check`;
  const checkBody = (i) => JSON.stringify({ organization_id: `bench_org_${i % organizations}`, feature: 'api_calls', quantity: 1 });
  await nativeClosedLoop({ url, headers, makeBody: checkBody, distinctRequests: organizations, connections: 32, durationMs: 2000 });
  const per = 100;
  const eventsBodyOf = (run) => (index) => JSON.stringify({ events: Array.from({ length: per }, (_, offset) => ({ id: `${run}_${index}_${offset}`, organization_id: `bench_org_${(index * per + offset * 7) % organizations}`, event: 'api_calls' })) });
  for (let r = 0; r < Number(process.env.ROUNDS ?? 3); r++) {
    const mixed = await withMachineShares(async () => {
      const [checks, events] = await Promise.all([
        preciseFixedRate({ url, headers, makeBody: checkBody, distinctRequests: organizations, rate: 2000, durationMs, spinMicros: 0, fifoPriority: 10 }),
        preciseFixedRate({ url: `${server.baseUrl}/v1/events`, headers, makeBody: eventsBodyOf(`f${r}`), distinctRequests: Math.ceil(100 * durationMs / 1000) + 1, rate: 100, durationMs, connections: 8 }),
      ]);
      return { checks, events };
    });
    console.log(`round ${r}: checks ${format(mixed.checks.perSecond)}/s p50 ${format(mixed.checks.p50, 2)} p99 ${format(mixed.checks.p99, 2)} ms; events ${format(mixed.events.perSecond * per)}/s p99 ${format(mixed.events.p99, 2)} ms; lateness ${format(mixed.checks.sendLatenessP99, 2)}; steal ${format(mixed.steal * 100, 1)}%`);
  }
} finally { await server.stop?.(); await database.drop(); process.exit(0); }
