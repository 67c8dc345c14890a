import { closedLoop } from './lib/load.mjs';
import { authHeaders as adminHeaders, scratchDatabase, startServer } from './lib/server.mjs';
const database = await scratchDatabase('postgres://postgres@127.0.0.1:5432/postgres');
const server = await startServer({ port: 4541, databaseUrl: database.url });
for (let i = 0; i < 100; i++) await server.api('POST', '/v1/organizations', { id: `bench_org_${i}`, name: 'B', plan: 'standard' });
const { secret } = await server.api('POST', '/v1/api-keys', { name: 'bench' });
const body = (index) => JSON.stringify({ organization_id: `bench_org_${index % 100}`, feature: 'api_calls', quantity: 1 });
for (const [name, headers] of [['admin', adminHeaders], ['key', { authorization: `Bearer ${secret}` }], ['admin', adminHeaders]]) {
  const r = await closedLoop({ url: `${server.baseUrl}/v1/check`, headers, makeBody: body, connections: 32, durationMs: 4000 });
  console.log(name, Math.round(r.perSecond), r.p50.toFixed(2), r.p99.toFixed(2), r.errors);
}
await server.stop(); await database.drop();
