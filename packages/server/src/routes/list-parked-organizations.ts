import { z } from 'zod';
import type { App, AppContext } from '../http/context.js';
import { commonErrors, errorResponse } from '../http/schemas.js';
import { listParkedOrganizations } from '../invariants/parked-organizations.js';
import { parkedOrganizationResponse, parkedOrganizationView } from './parked-schemas.js';

export function registerListParkedOrganizationsRoute(app: App, context: AppContext) {
  app.get(
    '/v1/admin/parked',
    {
      schema: {
        tags: ['operations'],
        summary:
          'Organizations the invariant watch parked (operator): their ledger or usage counters disagree, and nothing of theirs is pushed to Stripe',
        response: {
          200: z.object({ data: z.array(parkedOrganizationResponse) }),
          ...commonErrors,
          403: errorResponse,
        },
      },
    },
    async () => ({ data: (await listParkedOrganizations(context.db)).map(parkedOrganizationView) }),
  );
}
