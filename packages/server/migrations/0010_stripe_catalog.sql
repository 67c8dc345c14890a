-- The Stripe objects the last catalog sync found or created, per Stripe mode (sandbox, test, live),
-- so that GET /v1/plans and Checkout name a price without asking Stripe. Keys are lookup keys for
-- prices, and "product:…", "meter:…" or "portal_configuration" for the other objects.
CREATE TABLE "stripe_catalog_objects" (
	"mode" text NOT NULL,
	"key" text NOT NULL,
	"object_type" text NOT NULL,
	"stripe_id" text NOT NULL,
	"synced_at" timestamp with time zone NOT NULL,
	CONSTRAINT "stripe_catalog_objects_pk" PRIMARY KEY("mode", "key")
);
