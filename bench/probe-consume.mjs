import { closedLoop } from './lib/load.mjs';
import { authHeaders, scratchDatabase, startServer } from './lib/server.mjs';
const database = await scratchDatabase('postgres://postgres@127.0.0.1:5432/postgres');
const server = await startServer({ port: 4531, databaseUrl: database.url });
for (let i = 0; i < 100; i++) await server.api('POST', '/v1/organizations', { id: `bench_org_${i}`, name: 'B', plan: 'standard' });
const body = (one) => (index) => JSON.stringify({ organization_id: one ? 'bench_org_0' : `bench_org_${index % 100}`, feature: 'api_calls', quantity: 1, consume: true });
for (const one of [false, true]) {
  const r = await closedLoop({ url: `${server.baseUrl}/v1/check`, headers: authHeaders, makeBody: body(one), connections: 32, durationMs: 4000 });
  console.log(one ? 'one' : 'across', Math.round(r.perSecond), r.p50, r.p99, r.errors);
}
await server.stop(); await database.drop();
