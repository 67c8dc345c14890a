export * from './batcher.js';
export * from './client.js';
export * from './http.js';
export * from './middleware/express.js';
export * from './middleware/fastify.js';
export * from './middleware/hono.js';
export * from './middleware/shared.js';
export * from './types.js';
