// The baseline for the check benchmark: a bare Fastify route taking the same body and answering a
// fixed check-shaped JSON, with no authentication, validation or database.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post('/v1/check', async () => ({
  allowed: true,
  feature: 'api_calls',
  limit: 1000,
  used: 1,
  remaining: 999,
  cap: 'soft',
}));
// The baseline for the webhook benchmark: the same path and body size, answered without verification or work.
app.post('/v1/webhooks/stripe', async () => ({ received: true, event: 'evt_bare', outcome: 'processed' }));
await app.listen({ port: Number(process.argv[2] ?? 4520), host: '127.0.0.1' });
process.stdout.write('Tollgate is running (bare baseline)\n');
