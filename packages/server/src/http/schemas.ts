import { z } from 'zod';

/** What an identifier chosen by the host app (organization, user, project) may contain: it appears in URL paths. */
export const HOST_ID_PATTERN = /^[^\s/?#]+$/;

/** The same rule as `hostId`, without zod, for hot paths that check well-formed input by hand first. */
export const isHostId = (value: unknown): value is string =>
  typeof value === 'string' && value.length >= 1 && value.length <= 255 && HOST_ID_PATTERN.test(value);

export const hostId = z
  .string()
  .min(1)
  .max(255)
  .regex(HOST_ID_PATTERN, 'must not contain whitespace, "/", "?" or "#"');

export const metadata = z
  .record(z.string().max(40), z.string().max(500))
  .refine((value) => Object.keys(value).length <= 50, 'at most 50 keys')
  .describe('Free-form string pairs for the host app');

export const paginationQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  starting_after: z.string().min(1).max(255).optional(),
});

export const listEnvelope = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), has_more: z.boolean(), next_cursor: z.string().nullable() });

export const errorResponse = z.object({
  error: z.object({ code: z.string(), message: z.string(), request_id: z.string() }).loose(),
});

export const organizationParams = z.strictObject({ organizationId: hostId });

export const iso = (date: Date) => date.toISOString();
export const isoOrNull = (date: Date | null | undefined) => (date ? date.toISOString() : null);

/** The error responses every authenticated route can give, for the OpenAPI document. */
export const commonErrors = {
  400: errorResponse,
  401: errorResponse,
  404: errorResponse,
  409: errorResponse,
} as const;
