import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { AppError } from '../errors.js';
import type { App, AppContext } from '../http/context.js';
import { errorResponse } from '../http/schemas.js';

/** A load balancer's probe must get its answer well before its own timeout, whatever the database does. */
const READINESS_TIMEOUT_MS = 2_000;

async function databaseAnswers(context: AppContext, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const answered = context.db.execute(sql`select 1`).then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([answered, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

export function registerHealthRoutes(app: App, context: AppContext) {
  app.get(
    '/healthz',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['operations'],
        summary: 'Liveness',
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['operations'],
        summary: 'Readiness: the database answers',
        response: { 200: z.object({ status: z.literal('ready'), database: z.string() }), 503: errorResponse },
      },
    },
    async () => {
      if (!(await databaseAnswers(context, READINESS_TIMEOUT_MS))) {
        throw new AppError('database_unavailable', 503, 'the database does not answer');
      }
      return { status: 'ready' as const, database: context.databaseKind };
    },
  );
}
