import { createTollgateClient } from '@tollgate/client';
import { buildSaasApi } from './app.js';

// The example reads its settings here because it is a separate program, not part of the server.
const tollgate = createTollgateClient({
  baseUrl: process.env.TOLLGATE_URL ?? 'http://localhost:4400',
  apiKey: process.env.TOLLGATE_API_KEY ?? '',
  failMode: 'closed',
  onError: (error) => console.error('tollgate:', error),
});
const app = buildSaasApi(tollgate);
await app.listen({ port: Number(process.env.PORT ?? 3000), host: '0.0.0.0' });
