-- Every change to what a check reads is announced at commit on the channel tollgate_check_state_changed,
-- so that every server process drops what it remembers of it (metering/check-state-cache.ts). The payload
-- is a line naming what changed, 'billing' (an organization or its subscriptions) or 'usage' (its
-- organization-wide counters), then the organization ids, one per line (host ids contain no whitespace).
-- Triggers rather than calls in the services, so that no write path, and no hand-run SQL, is missed. One
-- notification per statement and up to ~7,900 bytes of ids, not one per row (PostgreSQL caps a payload
-- at 8,000 bytes).
CREATE FUNCTION "tollgate_announce_check_state_change"("kind" text, "organization_ids" text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	"organization_id" text;
	"payload" text := '';
BEGIN
	FOREACH "organization_id" IN ARRAY coalesce("organization_ids", '{}') LOOP
		IF "payload" <> '' AND octet_length("payload") + octet_length("organization_id") >= 7900 THEN
			PERFORM pg_notify('tollgate_check_state_changed', "kind" || E'\n' || "payload");
			"payload" := '';
		END IF;
		"payload" := CASE WHEN "payload" = '' THEN "organization_id" ELSE "payload" || E'\n' || "organization_id" END;
	END LOOP;
	IF "payload" <> '' THEN
		PERFORM pg_notify('tollgate_check_state_changed', "kind" || E'\n' || "payload");
	END IF;
END
$$;
--> statement-breakpoint
CREATE FUNCTION "tollgate_organizations_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM "tollgate_announce_check_state_change"('billing', ARRAY(SELECT DISTINCT "id" FROM "changed_rows"));
	RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION "tollgate_subscriptions_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM "tollgate_announce_check_state_change"('billing', ARRAY(SELECT DISTINCT "organization_id" FROM "changed_rows"));
	RETURN NULL;
END
$$;
--> statement-breakpoint
-- Checks read only the organization-wide counter (project_id ''); project counters need no announcement.
CREATE FUNCTION "tollgate_usage_counters_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM "tollgate_announce_check_state_change"(
		'usage',
		ARRAY(SELECT DISTINCT "organization_id" FROM "changed_rows" WHERE "project_id" = '')
	);
	RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "organizations_updated" AFTER UPDATE ON "organizations"
	REFERENCING NEW TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "tollgate_organizations_changed"();
--> statement-breakpoint
CREATE TRIGGER "organizations_deleted" AFTER DELETE ON "organizations"
	REFERENCING OLD TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "tollgate_organizations_changed"();
--> statement-breakpoint
CREATE TRIGGER "subscriptions_inserted" AFTER INSERT ON "subscriptions"
	REFERENCING NEW TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "tollgate_subscriptions_changed"();
--> statement-breakpoint
CREATE TRIGGER "subscriptions_updated" AFTER UPDATE ON "subscriptions"
	REFERENCING NEW TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "tollgate_subscriptions_changed"();
--> statement-breakpoint
CREATE TRIGGER "subscriptions_deleted" AFTER DELETE ON "subscriptions"
	REFERENCING OLD TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "tollgate_subscriptions_changed"();
--> statement-breakpoint
CREATE TRIGGER "usage_counters_inserted" AFTER INSERT ON "usage_counters"
	REFERENCING NEW TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "tollgate_usage_counters_changed"();
--> statement-breakpoint
CREATE TRIGGER "usage_counters_updated" AFTER UPDATE ON "usage_counters"
	REFERENCING NEW TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "tollgate_usage_counters_changed"();
--> statement-breakpoint
CREATE TRIGGER "usage_counters_deleted" AFTER DELETE ON "usage_counters"
	REFERENCING OLD TABLE AS "changed_rows" FOR EACH STATEMENT EXECUTE FUNCTION "tollgate_usage_counters_changed"();
