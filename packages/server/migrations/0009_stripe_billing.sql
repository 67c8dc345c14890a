-- Stripe billing (issue 15). Tollgate stays the system of record for plans and entitlements; these
-- tables hold what it needs to talk to Stripe and what it mirrors from it.

-- The customer's billing identity, kept in sync with its Stripe customer.
ALTER TABLE "organizations" ADD COLUMN "billing_address" jsonb;
--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "tax_ids" jsonb DEFAULT '[]'::jsonb NOT NULL;
--> statement-breakpoint
-- Test mode: the Stripe test clock the customer was created on, so time can be advanced for it.
ALTER TABLE "organizations" ADD COLUMN "stripe_test_clock_id" text;
--> statement-breakpoint
CREATE UNIQUE INDEX "organizations_stripe_customer_idx" ON "organizations" ("stripe_customer_id")
  WHERE "stripe_customer_id" IS NOT NULL;
--> statement-breakpoint
-- The Stripe state last applied to a subscription: Stripe's own status (unpaid, incomplete_expired …),
-- the price, a scheduled change, and the instant of the Stripe state applied, so an older event
-- never overwrites newer state.
ALTER TABLE "subscriptions" ADD COLUMN "stripe_status" text;
--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "stripe_price_id" text;
--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "stripe_schedule_id" text;
--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "scheduled_change" jsonb;
--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "stripe_state_at" timestamp with time zone;
--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "ended_at" timestamp with time zone;
--> statement-breakpoint
CREATE UNIQUE INDEX "subscriptions_stripe_unique_idx" ON "subscriptions" ("organization_id", "stripe_subscription_id")
  WHERE "stripe_subscription_id" IS NOT NULL;
--> statement-breakpoint
-- Every Stripe event received, stored by id before it is applied: a redelivery finds its row and
-- changes nothing. Failed ones stay listed for the operator and are retried by Stripe.
CREATE TABLE "stripe_events" (
	"id" text PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"organization_id" text,
	"object_id" text,
	"created" timestamp with time zone NOT NULL,
	"livemode" boolean NOT NULL,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"payload" jsonb NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"processed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "stripe_events_status_idx" ON "stripe_events" ("status", "received_at");
--> statement-breakpoint
-- Invoices mirrored from Stripe (webhooks and backfill). Amounts are integer minor units.
CREATE TABLE "invoices" (
	"organization_id" text NOT NULL,
	"id" text NOT NULL,
	"number" text,
	"status" text NOT NULL,
	"currency" text NOT NULL,
	"billing_reason" text,
	"stripe_subscription_id" text,
	"subtotal" bigint NOT NULL,
	"tax" bigint NOT NULL,
	"total" bigint NOT NULL,
	"amount_due" bigint NOT NULL,
	"amount_paid" bigint NOT NULL,
	"amount_remaining" bigint NOT NULL,
	"hosted_invoice_url" text,
	"invoice_pdf" text,
	"period_start" timestamp with time zone,
	"period_end" timestamp with time zone,
	"lines" jsonb NOT NULL,
	"created" timestamp with time zone NOT NULL,
	"stripe_state_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "invoices_pk" PRIMARY KEY("organization_id", "id")
);
--> statement-breakpoint
CREATE INDEX "invoices_listing_idx" ON "invoices" ("organization_id", "created" DESC, "id" DESC);
--> statement-breakpoint
-- Calls to Stripe that must happen once the state change that asks for them commits (customer
-- updates, catalog sync …). A worker claims due rows with FOR UPDATE SKIP LOCKED and calls Stripe
-- with the row's idempotency key, so a retry after a crash cannot act twice.
CREATE TABLE "stripe_outbox" (
	"id" text PRIMARY KEY NOT NULL,
	"organization_id" text,
	"kind" text NOT NULL,
	"payload" jsonb NOT NULL,
	"idempotency_key" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"delivered_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "stripe_outbox_due_idx" ON "stripe_outbox" ("next_attempt_at") WHERE "delivered_at" IS NULL;
