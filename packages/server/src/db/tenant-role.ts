import { sql } from 'drizzle-orm';
import type { Database } from './database.js';
import { queryRows } from './query-rows.js';

/**
 * The role requests authenticated by an organization session token run as (decision 19). It owns
 * nothing and bypasses nothing, so the `tenant_isolation` policies of migration 0013 confine it to
 * the organization named by `tollgate.organization_id`.
 */
export const TENANT_ROLE = 'tollgate_tenant';

/**
 * Creates the role when it is missing and this role may (superuser or CREATEROLE), lets the current
 * role switch to it, and grants it the tables, on every start under the migration lock: a table added
 * by a later migration, or a role an operator created by hand after the first start, is covered next
 * time. Roles are cluster-wide and many databases of one server may start at once (the test suite
 * does), so a role created meanwhile by another database's start is not an error. Grants are per
 * database. The tenant may read every table but api_keys, and write only tables under row-level
 * security. Only missing grants are made: a GRANT rewrites the table's catalog row even when it
 * changes nothing, and that makes every running process plan its statements on the table again.
 */
const PROVISION_TENANT_ROLE = sql.raw(`
do $provision$
declare
  tenant_table record;
  tenant_sequence record;
begin
  if not exists (select from pg_roles where rolname = '${TENANT_ROLE}') then
    begin
      create role ${TENANT_ROLE} nologin noinherit;
    exception
      when duplicate_object or unique_violation then null;
      when insufficient_privilege then
        return;
    end;
  end if;
  if not pg_has_role(current_user, '${TENANT_ROLE}', 'MEMBER') then
    begin
      execute format('grant ${TENANT_ROLE} to %I', current_user);
    exception
      when insufficient_privilege or duplicate_object or unique_violation then null;
    end;
  end if;
  if not has_schema_privilege('${TENANT_ROLE}', current_schema(), 'USAGE') then
    execute format('grant usage on schema %I to ${TENANT_ROLE}', current_schema());
  end if;
  for tenant_table in
    select c.oid, c.relname, c.relrowsecurity and c.relname <> 'users' as writable
    from pg_class c
    where c.relnamespace = (select oid from pg_namespace where nspname = current_schema())
      and c.relkind in ('r', 'p')
  loop
    if tenant_table.relname = 'api_keys' then
      if has_table_privilege('${TENANT_ROLE}', tenant_table.oid, 'SELECT, INSERT, UPDATE, DELETE') then
        execute format('revoke all on %I from ${TENANT_ROLE}', tenant_table.relname);
      end if;
      continue;
    end if;
    if not has_table_privilege('${TENANT_ROLE}', tenant_table.oid, 'SELECT') then
      execute format('grant select on %I to ${TENANT_ROLE}', tenant_table.relname);
    end if;
    if tenant_table.writable and not (
      has_table_privilege('${TENANT_ROLE}', tenant_table.oid, 'INSERT')
      and has_table_privilege('${TENANT_ROLE}', tenant_table.oid, 'UPDATE')
      and has_table_privilege('${TENANT_ROLE}', tenant_table.oid, 'DELETE')
    ) then
      execute format('grant insert, update, delete on %I to ${TENANT_ROLE}', tenant_table.relname);
    end if;
  end loop;
  for tenant_sequence in
    select c.oid, c.relname from pg_class c
    where c.relnamespace = (select oid from pg_namespace where nspname = current_schema()) and c.relkind = 'S'
  loop
    if not has_sequence_privilege('${TENANT_ROLE}', tenant_sequence.oid, 'USAGE') then
      execute format('grant usage, select on sequence %I to ${TENANT_ROLE}', tenant_sequence.relname);
    end if;
  end loop;
end
$provision$`);

export async function provisionTenantRole(db: Database): Promise<void> {
  await db.execute(PROVISION_TENANT_ROLE);
}

/**
 * Why session-token requests cannot run as the tenant role here, as one line telling the operator what
 * to run; undefined when they can.
 */
export async function tenantRoleProblem(db: Database): Promise<string | undefined> {
  const [state] = await queryRows<{ user: string; exists: boolean; bypasses: boolean; member: boolean }>(
    db,
    sql.raw(`select current_user as "user", r.oid is not null as "exists",
                    coalesce(r.rolsuper or r.rolbypassrls, false) as bypasses,
                    r.oid is not null and pg_has_role(current_user, r.oid, 'MEMBER') as member
             from (select 1) as one left join pg_roles r on r.rolname = '${TENANT_ROLE}'`),
  );
  if (!state) return 'the role check returned nothing';
  const user = `"${state.user.replaceAll('"', '""')}"`;
  if (!state.exists) {
    return `role ${TENANT_ROLE} does not exist and ${user} may not create roles: as a superuser run CREATE ROLE ${TENANT_ROLE} NOLOGIN NOINHERIT; GRANT ${TENANT_ROLE} TO ${user}; then restart`;
  }
  if (state.bypasses) {
    return `role ${TENANT_ROLE} is a superuser or has BYPASSRLS: as a superuser run ALTER ROLE ${TENANT_ROLE} NOSUPERUSER NOBYPASSRLS; then restart`;
  }
  if (!state.member) {
    return `${user} may not switch to role ${TENANT_ROLE}: as a superuser run GRANT ${TENANT_ROLE} TO ${user}; then restart`;
  }
  return undefined;
}
