-- A consume batch decided on usage this process remembers is written in one statement that first checks
-- every counter it read still holds that usage (metering/consume-batch.ts). This function is how that
-- statement fails as a whole when one does not: a distinct SQLSTATE, TG409, which the server reads as
-- "decide again under lock", never as a fault.
CREATE FUNCTION "tollgate_require"("condition" boolean, "message" text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
	IF "condition" IS NOT TRUE THEN
		RAISE EXCEPTION USING ERRCODE = 'TG409', MESSAGE = "message";
	END IF;
	RETURN true;
END
$$;
