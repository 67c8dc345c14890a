import { z } from 'zod';
import { iso } from '../http/schemas.js';
import type { ParkedOrganization } from '../invariants/parked-organizations.js';

export const parkedOrganizationResponse = z.object({
  organization_id: z.string(),
  /** What the invariant watch found: the lots or counters that disagree, with both values. */
  reasons: z.array(z.record(z.string(), z.string().nullable())),
  parked_at: z.string(),
});

export const parkedOrganizationView = (row: ParkedOrganization) => ({
  organization_id: row.organizationId,
  reasons: row.reasons,
  parked_at: iso(row.parkedAt),
});
