import { z } from 'zod';
import { readUserTrials } from '../credits/index.js';
import { AppError } from '../errors.js';
import type { App, AppContext } from '../http/context.js';
import { commonErrors, hostId } from '../http/schemas.js';

export const userTrialParams = z.strictObject({ userId: hostId });
export const userTrialQuery = z.strictObject({
  organization_id: hostId.optional().describe('Which trial organization, when there are several'),
});

export const userTrialResponse = z.object({
  user_id: z.string(),
  organization_id: z.string(),
  feature: z.string(),
  limit: z.string(),
  used: z.string(),
  remaining: z.string(),
  exhausted: z.boolean(),
  exhausted_at: z.string().nullable(),
});
export type UserTrialResponse = z.infer<typeof userTrialResponse>;

export function registerGetUserTrialRoute(app: App, context: AppContext) {
  app.get(
    '/v1/users/:userId/trial',
    {
      schema: {
        tags: ['credits'],
        summary: "A user's own trial in the public/trial organization: executions used and remaining",
        params: userTrialParams,
        querystring: userTrialQuery,
        response: { 200: userTrialResponse, ...commonErrors },
      },
    },
    async (request) => {
      const trials = await readUserTrials(context.db, request.params.userId, context.trialPlanExecutions);
      const wanted = request.query.organization_id;
      const trial = wanted ? trials.find((candidate) => candidate.organization_id === wanted) : trials[0];
      if (!trial) throw new AppError('not_found', 404, 'no public/trial organization to hold a trial');
      return { user_id: request.params.userId, feature: 'agent_executions', ...trial };
    },
  );
}
