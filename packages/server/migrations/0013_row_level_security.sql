-- Row-level security (issue 17, docs/decisions/0019-row-level-security.md): a request authenticated by
-- an organization session token runs its statements as the role tollgate_tenant with
-- tollgate.organization_id set to its organization (db/organization-database.ts), so a query that
-- forgot its tenant filter still reads and writes that organization's rows only. The policies name no
-- role (they apply to every role but the tables' owner and superusers, which RLS exempts): this
-- migration cannot count on being allowed to create roles, and any other role an operator grants
-- these tables to is confined the same way. Without the setting a role sees nothing: fail closed.
-- The owner (the DATABASE_URL role) is not forced, so host-app keys, jobs and the hot paths
-- (/v1/check, /v1/events) read as before. The role itself and its grants are made at every start
-- (db/tenant-role.ts), since they must also cover tables added later and a role created afterwards.
-- A new table with an organization_id column must enable RLS and add this policy too:
-- test/security/row-level-security.test.ts fails until it does.
ALTER TABLE "organizations" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "organizations"
	USING ("id" = current_setting('tollgate.organization_id', true))
	WITH CHECK ("id" = current_setting('tollgate.organization_id', true));--> statement-breakpoint
-- Users belong to several organizations and carry no organization_id: a tenant sees the users of its
-- own members (organization_members is itself confined by its policy).
ALTER TABLE "users" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "users"
	USING (EXISTS (SELECT 1 FROM "organization_members" m WHERE m."user_id" = "users"."id"));
--> statement-breakpoint
ALTER TABLE "audit_log" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "audit_log"
	USING ("organization_id" = current_setting('tollgate.organization_id', true))
	WITH CHECK ("organization_id" = current_setting('tollgate.organization_id', true));
--> statement-breakpoint
ALTER TABLE "credit_journal" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "credit_journal"
	USING ("organization_id" = current_setting('tollgate.organization_id', true))
	WITH CHECK ("organization_id" = current_setting('tollgate.organization_id', true));
--> statement-breakpoint
ALTER TABLE "credit_lots" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "credit_lots"
	USING ("organization_id" = current_setting('tollgate.organization_id', true))
	WITH CHECK ("organization_id" = current_setting('tollgate.organization_id', true));
--> statement-breakpoint
ALTER TABLE "credit_operations" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "credit_operations"
	USING ("organization_id" = current_setting('tollgate.organization_id', true))
	WITH CHECK ("organization_id" = current_setting('tollgate.organization_id', true));
--> statement-breakpoint
ALTER TABLE "credit_wallets" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "credit_wallets"
	USING ("organization_id" = current_setting('tollgate.organization_id', true))
	WITH CHECK ("organization_id" = current_setting('tollgate.organization_id', true));
--> statement-breakpoint
ALTER TABLE "invoices" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "invoices"
	USING ("organization_id" = current_setting('tollgate.organization_id', true))
	WITH CHECK ("organization_id" = current_setting('tollgate.organization_id', true));
--> statement-breakpoint
ALTER TABLE "notification_outbox" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "notification_outbox"
	USING ("organization_id" = current_setting('tollgate.organization_id', true))
	WITH CHECK ("organization_id" = current_setting('tollgate.organization_id', true));
--> statement-breakpoint
ALTER TABLE "organization_members" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "organization_members"
	USING ("organization_id" = current_setting('tollgate.organization_id', true))
	WITH CHECK ("organization_id" = current_setting('tollgate.organization_id', true));
--> statement-breakpoint
ALTER TABLE "organization_session_generations" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "organization_session_generations"
	USING ("organization_id" = current_setting('tollgate.organization_id', true))
	WITH CHECK ("organization_id" = current_setting('tollgate.organization_id', true));
--> statement-breakpoint
ALTER TABLE "parked_organizations" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "parked_organizations"
	USING ("organization_id" = current_setting('tollgate.organization_id', true))
	WITH CHECK ("organization_id" = current_setting('tollgate.organization_id', true));
--> statement-breakpoint
ALTER TABLE "projects" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "projects"
	USING ("organization_id" = current_setting('tollgate.organization_id', true))
	WITH CHECK ("organization_id" = current_setting('tollgate.organization_id', true));
--> statement-breakpoint
ALTER TABLE "stripe_events" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "stripe_events"
	USING ("organization_id" = current_setting('tollgate.organization_id', true))
	WITH CHECK ("organization_id" = current_setting('tollgate.organization_id', true));
--> statement-breakpoint
ALTER TABLE "stripe_outbox" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "stripe_outbox"
	USING ("organization_id" = current_setting('tollgate.organization_id', true))
	WITH CHECK ("organization_id" = current_setting('tollgate.organization_id', true));
--> statement-breakpoint
ALTER TABLE "subscription_history" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "subscription_history"
	USING ("organization_id" = current_setting('tollgate.organization_id', true))
	WITH CHECK ("organization_id" = current_setting('tollgate.organization_id', true));
--> statement-breakpoint
ALTER TABLE "subscriptions" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "subscriptions"
	USING ("organization_id" = current_setting('tollgate.organization_id', true))
	WITH CHECK ("organization_id" = current_setting('tollgate.organization_id', true));
--> statement-breakpoint
ALTER TABLE "usage_alerts" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "usage_alerts"
	USING ("organization_id" = current_setting('tollgate.organization_id', true))
	WITH CHECK ("organization_id" = current_setting('tollgate.organization_id', true));
--> statement-breakpoint
ALTER TABLE "usage_consumptions" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "usage_consumptions"
	USING ("organization_id" = current_setting('tollgate.organization_id', true))
	WITH CHECK ("organization_id" = current_setting('tollgate.organization_id', true));
--> statement-breakpoint
ALTER TABLE "usage_counters" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "usage_counters"
	USING ("organization_id" = current_setting('tollgate.organization_id', true))
	WITH CHECK ("organization_id" = current_setting('tollgate.organization_id', true));
--> statement-breakpoint
ALTER TABLE "usage_events" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "usage_events"
	USING ("organization_id" = current_setting('tollgate.organization_id', true))
	WITH CHECK ("organization_id" = current_setting('tollgate.organization_id', true));
--> statement-breakpoint
ALTER TABLE "usage_rollups" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "usage_rollups"
	USING ("organization_id" = current_setting('tollgate.organization_id', true))
	WITH CHECK ("organization_id" = current_setting('tollgate.organization_id', true));
--> statement-breakpoint
ALTER TABLE "usage_unique_buckets" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "usage_unique_buckets"
	USING ("organization_id" = current_setting('tollgate.organization_id', true))
	WITH CHECK ("organization_id" = current_setting('tollgate.organization_id', true));
--> statement-breakpoint
ALTER TABLE "usage_unique_values" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "usage_unique_values"
	USING ("organization_id" = current_setting('tollgate.organization_id', true))
	WITH CHECK ("organization_id" = current_setting('tollgate.organization_id', true));
--> statement-breakpoint
ALTER TABLE "user_trial_uses" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "user_trial_uses"
	USING ("organization_id" = current_setting('tollgate.organization_id', true))
	WITH CHECK ("organization_id" = current_setting('tollgate.organization_id', true));
--> statement-breakpoint
ALTER TABLE "user_trials" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "user_trials"
	USING ("organization_id" = current_setting('tollgate.organization_id', true))
	WITH CHECK ("organization_id" = current_setting('tollgate.organization_id', true));
