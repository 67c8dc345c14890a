-- The billing cycle anchor of each subscription: anniversary periods are computed from it, never
-- chained from the last period, because a period clipped to a short month (Jan 31 → Feb 28) would
-- otherwise move every later one to the 28th. Until now nothing advanced a subscription's stored
-- period, so its current_period_start is still the moment it was assigned: its anchor.
ALTER TABLE "subscriptions" ADD COLUMN "billing_cycle_anchor" timestamp with time zone;
--> statement-breakpoint
UPDATE "subscriptions" SET "billing_cycle_anchor" = "current_period_start";
--> statement-breakpoint
ALTER TABLE "subscriptions" ALTER COLUMN "billing_cycle_anchor" SET NOT NULL;
--> statement-breakpoint
-- The periodic job that renews the subscriptions Tollgate bills itself finds the due ones here.
CREATE INDEX "subscriptions_renewal_idx" ON "subscriptions" ("current_period_end")
  WHERE "status" NOT IN ('canceled', 'expired') AND "source" <> 'stripe';
