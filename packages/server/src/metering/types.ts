import type { BillingContext, Decimal } from '@tollgate/core';

/** A check as the server receives it (POST /v1/check), with quantities as exact decimals. */
export type CheckInput = {
  organizationId: string;
  feature: string;
  quantity: Decimal;
  projectId?: string | undefined;
  userId?: string | undefined;
  consume: boolean;
  idempotencyKey?: string | undefined;
};

/** The JSON answer of POST /v1/check. Quantities are exact decimals written as JSON numbers. */
export type CheckAnswer = {
  allowed: boolean;
  feature: string;
  limit: number | null;
  used: number;
  remaining: number | null;
  cap: 'hard' | 'soft' | null;
  reason?: 'limit_exceeded' | 'feature_not_in_plan' | 'subscription_inactive' | 'trial_exhausted';
  upgrade_url?: string;
};

/** A check that consumes a metered feature, with the billing context it is decided in. */
export type ConsumeItem = { input: CheckInput; context: BillingContext; now: Date };
