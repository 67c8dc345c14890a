-- The distinct values of unique_count features per organization, feature and UTC hour and day, written
-- with the events that bring them (metering/unique-buckets.ts), so that history reads count distinct
-- values over the rows of their buckets instead of reading every raw event of the range. Distinct values
-- do not add across buckets, hence a row per value in each granularity.
CREATE TABLE "usage_unique_buckets" (
	"organization_id" text COLLATE "C" NOT NULL,
	"feature" text COLLATE "C" NOT NULL,
	"granularity" text COLLATE "C" NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"value" text COLLATE "C" NOT NULL,
	CONSTRAINT "usage_unique_buckets_pk" PRIMARY KEY("organization_id","feature","granularity","bucket","value")
);
--> statement-breakpoint
-- SQL cannot read the catalog, which names the property a feature counts, so the rows of events stored
-- before this migration are filled in by the server at start, once per feature and property; each
-- filled feature is recorded here.
CREATE TABLE "usage_unique_backfills" (
	"feature" text COLLATE "C" NOT NULL,
	"unique_property" text NOT NULL,
	"completed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "usage_unique_backfills_pk" PRIMARY KEY("feature","unique_property")
);
