import { z } from 'zod';
import { DEFAULT_RATE_LIMITS, type RateLimitSettings } from './http/rate-limits.js';
import { DEFAULT_UNIQUE_KEYS_REMEMBERED } from './metering/ingest/stored-unique-keys.js';
import { DEFAULT_INGEST_WORKER_NICE } from './metering/ingest/thread-priority.js';

const booleanText = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value));

/** Every environment variable Tollgate reads, validated in one place. Nothing else touches process.env. */
const environmentSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(4400),
  HOST: z.string().min(1).default('127.0.0.1'),
  PUBLIC_URL: optionalText.pipe(z.string().url().optional()),
  DATABASE_URL: optionalText.pipe(z.string().url().optional()),
  // A streaming replica for reads that may lag (docs/scaling.md); PostgreSQL only.
  DATABASE_READ_URL: optionalText.pipe(z.string().url().optional()),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(20),
  DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(15_000),
  DATA_DIR: z.string().min(1).default('./data'),
  TOLLGATE_ADMIN_KEY: optionalText.pipe(z.string().min(24, 'must be at least 24 characters').optional()),
  TOLLGATE_SESSION_SECRET: optionalText.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  TOLLGATE_CATALOG: optionalText,
  SESSION_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(3_600),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DEMO_DATA: booleanText.optional(),
  TRIAL_PLAN_EXECUTIONS: z.coerce.number().int().min(0).default(10),
  EVENT_MAX_AGE_DAYS: z.coerce.number().int().min(1).max(400).default(35),
  UNIQUE_KEYS_REMEMBERED: z.coerce
    .number()
    .int()
    .min(0)
    .max(100_000_000)
    .default(DEFAULT_UNIQUE_KEYS_REMEMBERED),
  INGEST_IN_WORKER: booleanText.optional(),
  INGEST_WORKER_NICE: z.coerce.number().int().min(0).max(19).default(DEFAULT_INGEST_WORKER_NICE),
  STRIPE_SECRET_KEY: optionalText,
  STRIPE_WEBHOOK_SECRET: optionalText,
  STRIPE_API_URL: optionalText.pipe(z.string().url().optional()),
  STRIPE_TEST_CLOCKS: booleanText.optional(),
  STRIPE_SANDBOX_PORT: z.coerce.number().int().min(0).max(65_535).default(12_111),
  JOBS_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  // Per-process request limits, each per RATE_LIMIT_WINDOW_SECONDS; 0 turns one off (docs/security.md).
  RATE_LIMIT_WINDOW_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(86_400)
    .default(DEFAULT_RATE_LIMITS.windowSeconds),
  RATE_LIMIT_FAILED_AUTH: z.coerce
    .number()
    .int()
    .min(0)
    .default(DEFAULT_RATE_LIMITS.failedAuthenticationsPerAddress),
  RATE_LIMIT_SESSION_REQUESTS: z.coerce
    .number()
    .int()
    .min(0)
    .default(DEFAULT_RATE_LIMITS.sessionRequestsPerOrganization),
  RATE_LIMIT_BILLING_SESSIONS: z.coerce
    .number()
    .int()
    .min(0)
    .default(DEFAULT_RATE_LIMITS.billingSessionsPerOrganization),
});

export type Config = {
  port: number;
  host: string;
  publicUrl: string | undefined;
  databaseUrl: string | undefined;
  /** A streaming replica of DATABASE_URL for reads that may lag; they fall back to the primary while it is down. */
  databaseReadUrl: string | undefined;
  databasePoolSize: number;
  /** How long opening a PostgreSQL connection may take before the request gets 503 database_unavailable. */
  databaseConnectTimeoutMs: number;
  /** PostgreSQL's statement_timeout for request and job statements; past it, 503 database_timeout. */
  databaseStatementTimeoutMs: number;
  dataDir: string;
  adminKey: string | undefined;
  sessionSecret: string | undefined;
  catalogPath: string | undefined;
  sessionTtlSeconds: number;
  logLevel: z.infer<typeof environmentSchema>['LOG_LEVEL'];
  /** Seed demo organizations on an empty database (default: on for the embedded database only). */
  demoData: boolean;
  trialPlanExecutions: number;
  /** How many days back ingested usage events may be dated. */
  eventMaxAgeDays: number;
  /** unique_count rows a process remembers as stored, so that it does not send them again (0: none). */
  uniqueKeysRemembered: number;
  /** With PostgreSQL, ingest events in a worker thread (decision 21; default on). */
  ingestInWorker: boolean;
  /** The ingest worker thread's niceness, 0–19 (decision 22; Linux only). */
  ingestWorkerNice: number;
  stripeSecretKey: string | undefined;
  stripeWebhookSecret: string | undefined;
  stripeSandboxPort: number;
  /** Another Stripe-compatible server (a standalone sandbox shared by several processes). */
  stripeApiUrl: string | undefined;
  /** Put every customer Tollgate creates on its own test clock (always on with the built-in sandbox). */
  stripeTestClocks: boolean;
  /** How often periodic jobs (subscription renewal, credit expiry, subscription credit allocation) run. */
  jobsIntervalSeconds: number;
  rateLimits: RateLimitSettings;
};

export class ConfigError extends Error {
  readonly code = 'invalid_config';
}

export function loadConfig(environment: Record<string, string | undefined>): Config {
  const result = environmentSchema.safeParse(environment);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  - ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid environment:\n${lines.join('\n')}`);
  }
  const env = result.data;
  if (env.STRIPE_TEST_CLOCKS && env.STRIPE_SECRET_KEY && !env.STRIPE_SECRET_KEY.startsWith('sk_test_')) {
    throw new ConfigError('invalid environment:\n  - STRIPE_TEST_CLOCKS: test clocks need an sk_test_ key');
  }
  if (env.STRIPE_SECRET_KEY && !env.STRIPE_WEBHOOK_SECRET) {
    throw new ConfigError(
      'invalid environment:\n  - STRIPE_WEBHOOK_SECRET: required with STRIPE_SECRET_KEY (the signing secret of your webhook endpoint, whsec_…)',
    );
  }
  if (env.DATABASE_READ_URL && !env.DATABASE_URL) {
    throw new ConfigError(
      'invalid environment:\n  - DATABASE_READ_URL: a replica of DATABASE_URL; the embedded database has none',
    );
  }
  return {
    port: env.PORT,
    host: env.HOST,
    publicUrl: env.PUBLIC_URL,
    databaseUrl: env.DATABASE_URL,
    databaseReadUrl: env.DATABASE_READ_URL,
    databasePoolSize: env.DATABASE_POOL_SIZE,
    databaseConnectTimeoutMs: env.DATABASE_CONNECT_TIMEOUT_MS,
    databaseStatementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
    dataDir: env.DATA_DIR,
    adminKey: env.TOLLGATE_ADMIN_KEY,
    sessionSecret: env.TOLLGATE_SESSION_SECRET,
    catalogPath: env.TOLLGATE_CATALOG,
    sessionTtlSeconds: env.SESSION_TTL_SECONDS,
    logLevel: env.LOG_LEVEL,
    demoData: env.DEMO_DATA ?? env.DATABASE_URL === undefined,
    trialPlanExecutions: env.TRIAL_PLAN_EXECUTIONS,
    eventMaxAgeDays: env.EVENT_MAX_AGE_DAYS,
    uniqueKeysRemembered: env.UNIQUE_KEYS_REMEMBERED,
    ingestInWorker: env.INGEST_IN_WORKER ?? true,
    ingestWorkerNice: env.INGEST_WORKER_NICE,
    stripeSecretKey: env.STRIPE_SECRET_KEY,
    stripeWebhookSecret: env.STRIPE_WEBHOOK_SECRET,
    stripeSandboxPort: env.STRIPE_SANDBOX_PORT,
    stripeApiUrl: env.STRIPE_API_URL,
    stripeTestClocks: env.STRIPE_TEST_CLOCKS ?? false,
    jobsIntervalSeconds: env.JOBS_INTERVAL_SECONDS,
    rateLimits: {
      windowSeconds: env.RATE_LIMIT_WINDOW_SECONDS,
      failedAuthenticationsPerAddress: env.RATE_LIMIT_FAILED_AUTH,
      sessionRequestsPerOrganization: env.RATE_LIMIT_SESSION_REQUESTS,
      billingSessionsPerOrganization: env.RATE_LIMIT_BILLING_SESSIONS,
    },
  };
}
