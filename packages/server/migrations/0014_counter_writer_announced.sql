-- A counter write now says which process made it, when that process moves its own memory of the
-- counters itself (issue 16, point 8; metering/check/check-state-cache.ts): the ingest transaction sets
-- tollgate.counter_writer for itself (metering/tables/usage-counters.ts), and the announcement's first
-- line becomes 'usage <writer>'. That process ignores its own announcement; every other process, and
-- every write without the setting (consumes, hand-run SQL), is announced as before with 'usage'.
CREATE OR REPLACE FUNCTION "tollgate_usage_counters_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	"writer" text := coalesce(current_setting('tollgate.counter_writer', true), '');
BEGIN
	PERFORM "tollgate_announce_check_state_change"(
		CASE WHEN "writer" = '' THEN 'usage' ELSE 'usage ' || "writer" END,
		ARRAY(SELECT DISTINCT "organization_id" FROM "changed_rows" WHERE "project_id" = '')
	);
	RETURN NULL;
END
$$;
