-- Organization session tokens are signed, not stored, so revoking them needs a per-organization
-- counter: every token carries the generation current when it was minted, and
-- DELETE /v1/organizations/{id}/sessions bumps it, so every earlier token stops verifying. A missing
-- row is generation 0 (tokens minted before this migration carry none and count as 0). Owned by
-- auth/session-revocations.ts, which announces a bump on its own NOTIFY channel at commit.
CREATE TABLE "organization_session_generations" (
	"organization_id" text NOT NULL,
	"generation" integer NOT NULL,
	"revoked_at" timestamp with time zone NOT NULL,
	CONSTRAINT "organization_session_generations_pk" PRIMARY KEY("organization_id"),
	CONSTRAINT "organization_session_generations_organization_fk" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE
);
