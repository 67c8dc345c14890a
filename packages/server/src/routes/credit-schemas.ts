import { z } from 'zod';
import { hostId } from '../http/schemas.js';

/** An exact decimal, as a JSON number or a string ("12.5"); the services check its range and scale. */
export const decimalInput = z.union([z.string().min(1).max(64), z.number()]);

export const idempotencyKey = z.string().min(1).max(255);

/** Credit amounts are decimal text ("120", "0.5"), exact whatever the client's number type. */
export const creditAmount = z.string();

export const walletQuery = z.strictObject({
  user_id: hostId
    .optional()
    .describe("A user's reward wallet in the organization; absent: the organization's own"),
});
