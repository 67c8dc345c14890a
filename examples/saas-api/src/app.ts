import { type TollgateClient, tollgateFastify } from '@tollgate/client';
import Fastify, { type FastifyRequest } from 'fastify';
import { fakeModelAnswer } from './fake-model.js';

/**
 * A small host app metered by Tollgate. The organization comes from the `x-organization-id`
 * header here; a real app would take it from its session.
 */
export function buildSaasApi(tollgate: TollgateClient) {
  const app = Fastify();
  const metering = tollgateFastify<FastifyRequest>({
    client: tollgate,
    organization: (request) => {
      const header = request.headers['x-organization-id'];
      return typeof header === 'string' && header.length > 0 ? header : undefined;
    },
  });

  // Every /api/* request is one API call, counted after the response; the limit is enforced before.
  app.register(
    async (api) => {
      api.addHook('preHandler', metering.enforce('api_calls'));
      api.addHook('onResponse', metering.trackRequests('api_calls'));
      api.get('/status', async () => ({ ok: true }));
      api.get('/projects', async () => ({ projects: [{ id: 'demo', name: 'Demo project' }] }));
    },
    { prefix: '/api' },
  );

  // Chat: denied once the token allowance (plus grace) is spent; the real token count is recorded after the answer.
  app.post<{ Body: { prompt?: string } }>(
    '/chat',
    { preHandler: metering.enforce('llm_tokens') },
    async (request) => {
      const prompt = String(request.body?.prompt ?? '');
      const reply = fakeModelAnswer(prompt);
      const organizationId = request.headers['x-organization-id'] as string;
      tollgate.track({
        organization_id: organizationId,
        event: 'llm_tokens',
        quantity: reply.usage.total_tokens,
      });
      return reply;
    },
  );

  // Agent runs are consumed atomically at the check: concurrent runs can never pass the limit.
  app.post(
    '/agents/run',
    { preHandler: metering.enforce('agent_executions', { consume: true }) },
    async () => ({ status: 'completed' }),
  );

  app.addHook('onClose', async () => tollgate.shutdown());
  return app;
}
