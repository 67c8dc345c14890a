CREATE TABLE "credit_journal" (
	"organization_id" text NOT NULL,
	"id" bigint GENERATED ALWAYS AS IDENTITY (sequence name "credit_journal_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"wallet_user_id" text DEFAULT '' NOT NULL,
	"lot_id" text NOT NULL,
	"kind" text NOT NULL,
	"amount" numeric NOT NULL,
	"operation_id" text NOT NULL,
	"event_name" text,
	"project_id" text,
	"user_id" text,
	"counterparty" text,
	"note" text,
	"actor" text NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	CONSTRAINT "credit_journal_organization_id_id_pk" PRIMARY KEY("organization_id","id")
);
--> statement-breakpoint
CREATE TABLE "credit_lots" (
	"organization_id" text NOT NULL,
	"id" text NOT NULL,
	"wallet_user_id" text DEFAULT '' NOT NULL,
	"source" text NOT NULL,
	"amount" numeric NOT NULL,
	"remaining" numeric NOT NULL,
	"expires_at" timestamp with time zone,
	"granted_at" timestamp with time zone NOT NULL,
	"priority" integer DEFAULT 0 NOT NULL,
	"operation_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "credit_lots_organization_id_id_pk" PRIMARY KEY("organization_id","id"),
	CONSTRAINT "credit_lots_remaining_in_range" CHECK ("credit_lots"."remaining" >= 0 and "credit_lots"."remaining" <= "credit_lots"."amount"),
	CONSTRAINT "credit_lots_amount_positive" CHECK ("credit_lots"."amount" > 0)
);
--> statement-breakpoint
CREATE TABLE "credit_operations" (
	"organization_id" text NOT NULL,
	"kind" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"id" text NOT NULL,
	"request" jsonb NOT NULL,
	"response" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "credit_operations_organization_id_kind_idempotency_key_pk" PRIMARY KEY("organization_id","kind","idempotency_key")
);
--> statement-breakpoint
CREATE TABLE "credit_wallets" (
	"organization_id" text NOT NULL,
	"wallet_user_id" text DEFAULT '' NOT NULL,
	"low_balance_threshold" numeric,
	"low_balance_armed" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "credit_wallets_organization_id_wallet_user_id_pk" PRIMARY KEY("organization_id","wallet_user_id")
);
--> statement-breakpoint
CREATE TABLE "user_trial_uses" (
	"organization_id" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"user_id" text NOT NULL,
	"response" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "user_trial_uses_organization_id_idempotency_key_pk" PRIMARY KEY("organization_id","idempotency_key")
);
--> statement-breakpoint
CREATE TABLE "user_trials" (
	"organization_id" text NOT NULL,
	"user_id" text NOT NULL,
	"used" numeric DEFAULT '0' NOT NULL,
	"exhausted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "user_trials_organization_id_user_id_pk" PRIMARY KEY("organization_id","user_id")
);
--> statement-breakpoint
CREATE INDEX "credit_journal_wallet_idx" ON "credit_journal" USING btree ("organization_id","wallet_user_id","id");--> statement-breakpoint
CREATE INDEX "credit_journal_operation_idx" ON "credit_journal" USING btree ("organization_id","operation_id");--> statement-breakpoint
CREATE INDEX "credit_lots_wallet_idx" ON "credit_lots" USING btree ("organization_id","wallet_user_id","expires_at");