import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { AppError } from '../errors.js';
import type { App, AppContext } from '../http/context.js';
import { errorResponse } from '../http/schemas.js';

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
      try {
        await context.db.execute(sql`select 1`);
      } catch {
        throw new AppError('database_unavailable', 503, 'the database does not answer');
      }
      return { status: 'ready' as const, database: context.databaseKind };
    },
  );
}
