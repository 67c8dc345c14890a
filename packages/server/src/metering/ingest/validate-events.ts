import {
  type Catalog,
  type Decimal,
  type EventWindow,
  eventTimestamp,
  isCountableValue,
  isDecimalText,
  MAX_USAGE_QUANTITY,
  toDecimal,
  uniquePropertyOf,
} from '@tollgate/core';
import { z } from 'zod';
import { HOST_ID_PATTERN, hostId } from '../../http/schemas.js';
import { isCleanText, MAX_PROPERTIES_BYTES, propertiesProblem } from './event-text.js';

/** The shape of one event; checked per event so one bad event never rejects its batch. */
export const usageEventInput = z.strictObject({
  id: z.string().min(1).max(255).describe('Idempotency key: counted once per organization, forever'),
  organization_id: hostId,
  project_id: hostId.optional(),
  user_id: hostId.optional(),
  event: z.string().min(1).max(63).describe('A feature code or a credit event name'),
  quantity: z.union([z.number(), z.string()]).optional().describe('Exact decimal ≥ 0; default 1'),
  timestamp: z.union([z.string(), z.number()]).optional().describe('ISO 8601 or epoch ms; default now'),
  properties: z.record(z.string(), z.unknown()).optional(),
});
export type UsageEventInput = z.infer<typeof usageEventInput>;

export type Rejection = { index: number; code: string; message: string };

export type ValidEvent = {
  index: number;
  organizationId: string;
  id: string;
  event: string;
  /** The feature the event counts toward; null for credit events. */
  feature: string | null;
  projectId: string | null;
  userId: string | null;
  quantity: Decimal;
  timestamp: Date;
  properties: Record<string, unknown> | null;
};

function parseQuantity(value: unknown): Decimal | string {
  if (value === undefined) return toDecimal(1);
  const text =
    typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : String(value).trim();
  // String(1e21) is "1e+21": exponent forms are refused rather than guessed at.
  if (!isDecimalText(text))
    return 'quantity must be a decimal number (a JSON number or a string such as "12.5")';
  const quantity = toDecimal(text);
  if (quantity.isNegative()) return 'quantity must not be negative';
  if (quantity.gt(MAX_USAGE_QUANTITY)) return 'quantity must be at most 10^15';
  return quantity;
}

const isText = (value: unknown, maxLength: number): value is string =>
  typeof value === 'string' && value.length >= 1 && value.length <= maxLength;
const isOptionalHostId = (value: unknown) =>
  value === undefined || (isText(value, 255) && HOST_ID_PATTERN.test(value));
const isOptionalScalar = (value: unknown) =>
  value === undefined || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
const FIELDS = new Set(Object.keys(usageEventInput.shape));

/**
 * The common, well-formed event checked by hand, without zod's copy of it: `usageEventInput`
 * accepts every event this accepts. Anything else (properties included) goes through zod, so
 * rejections and their messages come from the schema alone.
 */
function plainEventInput(raw: unknown): UsageEventInput | undefined {
  if (typeof raw !== 'object' || raw === null || Object.getPrototypeOf(raw) !== Object.prototype) return;
  for (const key in raw) if (!FIELDS.has(key)) return;
  const input = raw as Record<string, unknown>;
  if (
    isText(input.id, 255) &&
    isText(input.organization_id, 255) &&
    HOST_ID_PATTERN.test(input.organization_id) &&
    isOptionalHostId(input.project_id) &&
    isOptionalHostId(input.user_id) &&
    isText(input.event, 63) &&
    isOptionalScalar(input.quantity) &&
    isOptionalScalar(input.timestamp) &&
    input.properties === undefined
  )
    return input as UsageEventInput;
}

const TEXT_FIELDS = ['id', 'organization_id', 'project_id', 'user_id', 'event'] as const;

/** The first text field PostgreSQL could not store, if any. */
function uncleanField(input: UsageEventInput) {
  return TEXT_FIELDS.find((field) => {
    const text = input[field];
    return text !== undefined && !isCleanText(text);
  });
}

/** Checks one raw event against its schema, the catalog and the time window: an event or a rejection. */
export function validateEvent(
  raw: unknown,
  index: number,
  catalog: Catalog,
  now: Date,
  window: EventWindow,
): ValidEvent | Rejection {
  let input = plainEventInput(raw);
  if (input === undefined) {
    const parsed = usageEventInput.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.') || 'event';
      const code = issue?.path[0] === 'id' ? 'invalid_id' : 'invalid_event';
      return { index, code, message: `${field}: ${issue?.message ?? 'invalid'}` };
    }
    input = parsed.data;
  }
  const unclean = uncleanField(input);
  if (unclean !== undefined) {
    return {
      index,
      code: unclean === 'id' ? 'invalid_id' : 'invalid_text',
      message: `${unclean}: text must not contain NUL or unpaired surrogates`,
    };
  }
  const feature = catalog.featureForEvent(input.event) ?? null;
  if (feature === null && !catalog.creditEvent(input.event)) {
    return {
      index,
      code: 'unknown_event',
      message: `"${input.event}" is neither a feature event nor a credit event`,
    };
  }
  const quantity = parseQuantity(input.quantity);
  if (typeof quantity === 'string') return { index, code: 'invalid_quantity', message: quantity };
  const timing = eventTimestamp(input.timestamp, now, window);
  if (!timing.ok) return { index, code: timing.code, message: timing.message };
  const problem = input.properties ? propertiesProblem(input.properties) : null;
  if (problem !== null) return { index, ...problem };
  if (input.properties && Buffer.byteLength(JSON.stringify(input.properties)) > MAX_PROPERTIES_BYTES) {
    return { index, code: 'properties_too_large', message: 'properties must be at most 8 KB of JSON' };
  }
  const uniqueProperty = feature === null ? undefined : uniquePropertyOf(catalog, feature);
  if (uniqueProperty !== undefined && !isCountableValue(input.properties?.[uniqueProperty])) {
    return {
      index,
      code: 'invalid_unique_property',
      message: `properties.${uniqueProperty}: "${feature}" counts distinct values of this property, which must be a string, a number or a boolean`,
    };
  }
  return {
    index,
    organizationId: input.organization_id,
    id: input.id,
    event: input.event,
    feature,
    projectId: input.project_id ?? null,
    userId: input.user_id ?? null,
    quantity,
    timestamp: timing.timestamp,
    properties: input.properties ?? null,
  };
}

export const isRejection = (value: ValidEvent | Rejection): value is Rejection => 'code' in value;
