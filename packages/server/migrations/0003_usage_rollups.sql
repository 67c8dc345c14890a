CREATE TABLE "usage_rollups" (
	"organization_id" text NOT NULL,
	"feature" text NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"aggregation" text NOT NULL,
	"value" numeric NOT NULL,
	"last_event_at" timestamp with time zone,
	CONSTRAINT "usage_rollups_organization_id_feature_hour_pk" PRIMARY KEY("organization_id","feature","hour")
);
--> statement-breakpoint
-- Backfill from the events already stored. SQL cannot read the catalog, but every metered event moved a
-- counter, and usage_counters.aggregation records the rule it was counted with (the newest counter wins
-- if the catalog changed it). unique_count features get no rows; their history stays on raw events.
INSERT INTO "usage_rollups" ("organization_id", "feature", "hour", "aggregation", "value", "last_event_at")
SELECT e."organization_id", e."feature", date_trunc('hour', e."timestamp", 'UTC'), a."aggregation",
	CASE a."aggregation"
		WHEN 'sum' THEN sum(e."quantity")
		WHEN 'count' THEN count(*)
		WHEN 'max' THEN max(e."quantity")
		ELSE (array_agg(e."quantity" ORDER BY e."timestamp" DESC, e."received_at" DESC))[1]
	END,
	max(e."timestamp")
FROM "usage_events" e
JOIN (
	SELECT DISTINCT ON ("organization_id", "feature") "organization_id", "feature", "aggregation"
	FROM "usage_counters"
	ORDER BY "organization_id", "feature", "updated_at" DESC
) a ON a."organization_id" = e."organization_id" AND a."feature" = e."feature"
WHERE a."aggregation" IN ('sum', 'count', 'max', 'latest')
GROUP BY e."organization_id", e."feature", date_trunc('hour', e."timestamp", 'UTC'), a."aggregation"
ORDER BY 1, 2, 3;
