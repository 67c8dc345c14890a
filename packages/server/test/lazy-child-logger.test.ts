import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { lazyChildLogger } from '../src/http/lazy-child-logger.js';

/** A Fastify app logging JSON lines into an array, with request children made lazily. */
async function appLoggingTo(lines: Array<Record<string, unknown>>, level: string) {
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const app = Fastify({
    logger: { level, stream },
    childLoggerFactory: lazyChildLogger,
    genReqId: () => 'req_fixed',
  });
  app.get('/', async (request) => {
    request.log.info({ detail: 1 }, 'quiet at warn');
    request.log.warn({ detail: 2 }, 'written');
    request.log.child({ step: 'inner' }).error('from a grandchild');
    return { level: request.log.level };
  });
  await app.ready();
  return app;
}

describe('lazy request loggers', () => {
  it('write what the level allows, with the request id bound, as a pino child would', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const app = await appLoggingTo(lines, 'warn');
    const response = await app.inject({ method: 'GET', url: '/' });
    expect(response.json()).toEqual({ level: 'warn' });
    expect(lines.map(({ msg, reqId, detail, step }) => ({ msg, reqId, detail, step }))).toEqual([
      { msg: 'written', reqId: 'req_fixed', detail: 2, step: undefined },
      { msg: 'from a grandchild', reqId: 'req_fixed', detail: undefined, step: 'inner' },
    ]);
    await app.close();
  });

  it('write info lines when the level is info', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const app = await appLoggingTo(lines, 'info');
    await app.inject({ method: 'GET', url: '/' });
    // Fastify's own request lines are info lines of the same child.
    expect(lines.filter((line) => line.reqId === 'req_fixed').map((line) => line.msg)).toEqual([
      'incoming request',
      'quiet at warn',
      'written',
      'from a grandchild',
      'request completed',
    ]);
    await app.close();
  });
});
