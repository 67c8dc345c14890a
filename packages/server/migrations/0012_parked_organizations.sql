-- The invariant watch (jobs/scheduler.ts, invariants/) parks an organization whose credit ledger or
-- usage counters disagree with their journal or events: while parked, nothing of it is pushed to
-- Stripe, until an operator has looked and clears it (DELETE /v1/admin/parked/{organizationId}).
CREATE TABLE "parked_organizations" (
	"organization_id" text PRIMARY KEY NOT NULL,
	"reasons" jsonb NOT NULL,
	"parked_at" timestamp with time zone NOT NULL
);
