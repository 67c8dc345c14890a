CREATE TABLE "notification_outbox" (
	"organization_id" text NOT NULL,
	"id" text NOT NULL,
	"kind" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"delivered_at" timestamp with time zone,
	CONSTRAINT "notification_outbox_organization_id_id_pk" PRIMARY KEY("organization_id","id")
);
--> statement-breakpoint
CREATE TABLE "usage_alerts" (
	"organization_id" text NOT NULL,
	"feature" text NOT NULL,
	"period_start" timestamp with time zone NOT NULL,
	"threshold" integer NOT NULL,
	"period_end" timestamp with time zone NOT NULL,
	"used" numeric NOT NULL,
	"limit" numeric NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "usage_alerts_organization_id_feature_period_start_threshold_pk" PRIMARY KEY("organization_id","feature","period_start","threshold")
);
--> statement-breakpoint
CREATE TABLE "usage_consumptions" (
	"organization_id" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"feature" text NOT NULL,
	"quantity" numeric NOT NULL,
	"response" jsonb,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "usage_consumptions_organization_id_idempotency_key_pk" PRIMARY KEY("organization_id","idempotency_key")
);
--> statement-breakpoint
CREATE TABLE "usage_counters" (
	"organization_id" text NOT NULL,
	"feature" text NOT NULL,
	"period_start" timestamp with time zone NOT NULL,
	"project_id" text DEFAULT '' NOT NULL,
	"period_end" timestamp with time zone NOT NULL,
	"aggregation" text NOT NULL,
	"used" numeric DEFAULT '0' NOT NULL,
	"last_event_at" timestamp with time zone,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "usage_counters_organization_id_feature_period_start_project_id_pk" PRIMARY KEY("organization_id","feature","period_start","project_id")
);
--> statement-breakpoint
CREATE TABLE "usage_events" (
	"organization_id" text NOT NULL,
	"id" text NOT NULL,
	"event" text NOT NULL,
	"feature" text,
	"project_id" text,
	"user_id" text,
	"quantity" numeric NOT NULL,
	"timestamp" timestamp with time zone NOT NULL,
	"properties" jsonb,
	"received_at" timestamp with time zone NOT NULL,
	CONSTRAINT "usage_events_organization_id_id_pk" PRIMARY KEY("organization_id","id")
);
--> statement-breakpoint
CREATE TABLE "usage_unique_values" (
	"organization_id" text NOT NULL,
	"feature" text NOT NULL,
	"period_start" timestamp with time zone NOT NULL,
	"project_id" text DEFAULT '' NOT NULL,
	"value" text NOT NULL,
	CONSTRAINT "usage_unique_values_organization_id_feature_period_start_project_id_value_pk" PRIMARY KEY("organization_id","feature","period_start","project_id","value")
);
--> statement-breakpoint
CREATE INDEX "notification_outbox_pending_idx" ON "notification_outbox" USING btree ("organization_id","next_attempt_at") WHERE "notification_outbox"."delivered_at" is null;--> statement-breakpoint
CREATE INDEX "usage_alerts_created_idx" ON "usage_alerts" USING btree ("organization_id","created_at");--> statement-breakpoint
CREATE INDEX "usage_events_feature_time_idx" ON "usage_events" USING btree ("organization_id","feature","timestamp");