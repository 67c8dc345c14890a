/** Wire types of the Tollgate v1 API that the client uses. Quantities are JSON numbers or decimal strings. */

export type Quantity = number | string;

export interface UsageEventInput {
  /** Idempotency key: the same id is counted once, forever. Generated when omitted. */
  id?: string;
  organization_id: string;
  event: string;
  quantity?: Quantity;
  project_id?: string;
  user_id?: string;
  /** ISO 8601 text or epoch milliseconds; defaults to the moment `track` was called. */
  timestamp?: string | number;
  properties?: Record<string, unknown>;
}

export interface IngestResult {
  accepted: number;
  duplicates: number;
  rejected: { index: number; code: string; message: string }[];
}

export interface CheckRequest {
  organization_id: string;
  feature: string;
  quantity?: Quantity;
  project_id?: string;
  user_id?: string;
  consume?: boolean;
  idempotency_key?: string;
}

export type DenialReason =
  | 'limit_exceeded'
  | 'feature_not_in_plan'
  | 'subscription_inactive'
  | 'trial_exhausted'
  /** Only produced by the client: Tollgate could not be reached and the client fails closed. */
  | 'tollgate_unavailable';

export interface CheckResult {
  allowed: boolean;
  feature: string;
  limit: number | null;
  used: number;
  remaining: number | null;
  cap: 'hard' | 'soft' | null;
  reason?: DenialReason;
  upgrade_url?: string;
  /** True when the answer came from the fail-open / fail-closed policy, not from Tollgate. */
  degraded?: boolean;
}

export interface UsageFeature {
  feature: string;
  used: number;
  included: number | 'unlimited' | null;
  limit: number | null;
  remaining: number | null;
  percent: number | null;
  cap: 'hard' | 'soft' | null;
  overage_quantity: number;
  overage_amount: number;
}

export interface UsageReport {
  organization_id: string;
  plan: string;
  period: { start: string; end: string };
  features: UsageFeature[];
  projects: { project_id: string; features: { feature: string; used: number }[] }[];
}
