import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { Catalog, demoCatalog } from '@tollgate/core';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipUnless } from '../../../../test-support/skips.js';
import { queryRows } from '../../src/db/query-rows.js';
import { sqlStateOf } from '../../src/db/retry.js';
import { provisionTenantRole, TENANT_ROLE } from '../../src/db/tenant-role.js';
import { withTransaction } from '../../src/db/transaction.js';
import { requestDb } from '../../src/http/request-database.js';
import { createTollgate } from '../../src/tollgate.js';
import { databaseTargets, NEEDS_POSTGRES, testDatabaseUrl } from '../support/databases.js';
import { describeEachDatabase, type Harness, startHarness, TEST_ADMIN_KEY } from '../support/harness.js';

/** Tables whose rows belong to one organization: those with organization_id, and organizations itself. */
const TENANT_TABLES_QUERY = `
  select c.relname as table, c.relrowsecurity as secured,
         exists (select from pg_policy p where p.polrelid = c.oid and p.polname = 'tenant_isolation') as has_policy
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = current_schema() and c.relkind in ('r', 'p')
    and (c.relname in ('organizations', 'users') or exists (
      select from pg_attribute a
      where a.attrelid = c.oid and a.attname = 'organization_id' and not a.attisdropped))
  order by 1`;

describeEachDatabase('row-level security: the catalog', (harness) => {
  it('every table with an organization_id column, organizations and users, has RLS and its policy', async () => {
    const tables = await queryRows<{ table: string; secured: boolean; has_policy: boolean }>(
      harness().tollgate.database.db,
      sql.raw(TENANT_TABLES_QUERY),
    );
    // 24 tables with organization_id when this was written, plus organizations and users.
    expect(tables.length).toBeGreaterThanOrEqual(26);
    expect(tables.filter((table) => !table.secured || !table.has_policy)).toEqual([]);
  });

  it('provisioning again makes only missing grants (an unchanged GRANT would rewrite catalog rows)', async () => {
    const db = harness().tollgate.database.db;
    const catalogRows = () =>
      queryRows<{ relname: string; version: string }>(
        db,
        sql`select relname, xmin::text as version from pg_class
            where relnamespace = (select oid from pg_namespace where nspname = current_schema())
              and relkind in ('r', 'p', 'S') order by relname`,
      );
    const before = await catalogRows();
    await provisionTenantRole(db);
    expect(await catalogRows()).toEqual(before);

    await db.execute(sql.raw(`revoke select, insert on projects from ${TENANT_ROLE}`));
    await provisionTenantRole(db);
    const [granted] = await queryRows<{ can_read: boolean; can_insert: boolean }>(
      db,
      sql.raw(`select has_table_privilege('${TENANT_ROLE}', 'projects', 'SELECT') as can_read,
                      has_table_privilege('${TENANT_ROLE}', 'projects', 'INSERT') as can_insert`),
    );
    expect(granted).toEqual({ can_read: true, can_insert: true });
  });
});

describe('row-level security: routes an organization session may call', () => {
  const routesFolder = new URL('../../src/routes/', import.meta.url);
  it('read the database through the request (requestDb / requestContext), never context.db', () => {
    const offenders: string[] = [];
    for (const file of readdirSync(routesFolder)) {
      const source = readFileSync(new URL(file, routesFolder), 'utf8');
      if (!/auth: '(organization|any_caller)'/.test(source)) continue;
      if (/\bcontext\.db\b/.test(source)) offenders.push(`${file}: context.db`);
      // A service handed the whole context would read context.db: it gets requestContext(request, context).
      const bare = /\b(\w+)\(\s*context\s*[,)]/g;
      for (const match of source.matchAll(bare)) {
        if (match[1] !== 'plansBody') offenders.push(`${file}: ${match[1]}(context…)`);
      }
    }
    expect(offenders).toEqual([]);
  });
});

const UNFILTERED_TABLES = [
  'organizations',
  'projects',
  'organization_members',
  'users',
  'usage_events',
  'usage_counters',
  'credit_lots',
  'credit_journal',
  'audit_log',
];

/** Who a row belongs to: the organization_id column, or organizations' own id. */
const ownerColumn = (table: string) =>
  table === 'organizations' ? 'id' : table === 'users' ? 'id' : 'organization_id';

for (const target of databaseTargets)
  describe(`row-level security: session-token requests [${target.name}]`, () => {
    let started: Awaited<ReturnType<typeof startHarness>>;
    let harness: Harness;
    const tokens: Record<string, string> = {};
    const suffix = randomBytes(3).toString('hex');
    const orgA = `rls_a_${suffix}`;
    const orgB = `rls_b_${suffix}`;

    beforeAll(async () => {
      started = await startHarness(target);
      harness = started.harness;
      const { app, context } = harness.tollgate;
      // Test-only routes, called like any organization page: the handle is the one a real route gets.
      // Each runs one statement with no tenant filter, as a route that forgot its WHERE would.
      app.get<{ Params: { organizationId: string; table: string } }>(
        '/test/organizations/:organizationId/unfiltered/:table',
        { config: { auth: 'organization' } },
        async (request) => {
          const { table } = request.params;
          if (!UNFILTERED_TABLES.includes(table)) throw new Error(`not a test table: ${table}`);
          const statement = sql`select ${sql.identifier(ownerColumn(table))} as owner from ${sql.identifier(table)}`;
          const direct = await queryRows<{ owner: string }>(requestDb(request, context), statement);
          const inTransaction = await withTransaction(requestDb(request, context), (tx) =>
            queryRows<{ owner: string }>(tx, statement),
          );
          return {
            direct: direct.map((row) => row.owner),
            in_transaction: inTransaction.map((row) => row.owner),
          };
        },
      );
      app.post<{ Params: { organizationId: string }; Body: { statement: string } }>(
        '/test/organizations/:organizationId/write',
        { config: { auth: 'organization' } },
        async (request) => {
          const statements: Record<string, ReturnType<typeof sql>> = {
            insert_other: sql`insert into projects (organization_id, id, name) values (${orgB}, 'planted', 'planted')`,
            update_all: sql`update organizations set name = 'renamed'`,
            delete_all: sql`delete from projects`,
            read_api_keys: sql`select id from api_keys`,
          };
          const statement = statements[request.body.statement];
          if (!statement) throw new Error('unknown statement');
          try {
            const result = (await requestDb(request, context).execute(statement)) as unknown as {
              rowCount: number | null;
            };
            return { row_count: result.rowCount };
          } catch (error) {
            return { sqlstate: sqlStateOf(error) };
          }
        },
      );

      for (const organizationId of [orgA, orgB]) {
        await harness.request('POST', '/v1/organizations', {
          body: { id: organizationId, name: organizationId },
        });
        for (const project of ['web', 'cli']) {
          await harness.request('POST', `/v1/organizations/${organizationId}/projects`, {
            body: { id: project, name: project },
          });
        }
        await harness.request('POST', `/v1/organizations/${organizationId}/users`, {
          body: { id: `user_of_${organizationId}` },
        });
        const ingested = await harness.request('POST', '/v1/events', {
          body: {
            events: [
              { id: `${organizationId}_1`, organization_id: organizationId, event: 'api_calls', quantity: 3 },
              { id: `${organizationId}_2`, organization_id: organizationId, event: 'api_calls', quantity: 4 },
            ],
          },
        });
        expect(ingested.body.accepted).toBe(2);
        const granted = await harness.request('POST', `/v1/organizations/${organizationId}/credits/grants`, {
          body: { amount: 100, source: 'promotional', idempotency_key: `grant_${organizationId}` },
        });
        expect(granted.status, JSON.stringify(granted.body)).toBe(201);
        const session = await harness.request('POST', `/v1/organizations/${organizationId}/sessions`, {
          body: {},
        });
        tokens[organizationId] = session.body.token;
      }
    });
    afterAll(async () => {
      await started?.stop();
    });

    const tokenOf = (organizationId: string) => tokens[organizationId] as string;

    it.each(UNFILTERED_TABLES)(
      'a query on %s without a tenant filter returns only the session organization rows',
      async (table) => {
        const answer = await harness.request('GET', `/test/organizations/${orgA}/unfiltered/${table}`, {
          token: tokenOf(orgA),
        });
        expect(answer.status).toBe(200);
        const expectedOwner = table === 'users' ? `user_of_${orgA}` : orgA;
        for (const owners of [answer.body.direct, answer.body.in_transaction]) {
          expect(owners.length).toBeGreaterThan(0);
          expect(new Set(owners)).toEqual(new Set([expectedOwner]));
        }
      },
    );

    it('the same unfiltered query with the admin key sees every organization', async () => {
      for (const table of UNFILTERED_TABLES) {
        const answer = await harness.request('GET', `/test/organizations/${orgA}/unfiltered/${table}`);
        expect(answer.status).toBe(200);
        const owners = new Set(answer.body.direct);
        const expected = table === 'users' ? [`user_of_${orgA}`, `user_of_${orgB}`] : [orgA, orgB];
        for (const owner of expected) expect(owners.has(owner)).toBe(true);
      }
    });

    it("refuses writes to another organization's rows, and leaves them as they were", async () => {
      const write = (statement: string) =>
        harness.request('POST', `/test/organizations/${orgA}/write`, {
          token: tokenOf(orgA),
          body: { statement },
        });
      // An insert for another organization fails the policy's WITH CHECK (insufficient_privilege).
      expect((await write('insert_other')).body).toEqual({ sqlstate: '42501' });
      // Updates and deletes reach the session's own rows only.
      expect((await write('update_all')).body).toEqual({ row_count: 1 });
      expect((await write('delete_all')).body).toEqual({ row_count: 2 });
      // A table holding no organization's rows is not granted to the tenant role at all.
      expect((await write('read_api_keys')).body).toEqual({ sqlstate: '42501' });

      const rows = await queryRows<{ id: string; name: string; projects: number }>(
        harness.tollgate.database.db,
        sql`select o.id, o.name, (select count(*)::int from projects p where p.organization_id = o.id) as projects
          from organizations o where o.id in (${orgA}, ${orgB}) order by o.id`,
      );
      expect(rows).toEqual([
        { id: orgA, name: 'renamed', projects: 0 },
        { id: orgB, name: orgB, projects: 2 },
      ]);
    });

    it("the organization pages answer with the session's own data", async () => {
      const token = tokenOf(orgB);
      const base = `/v1/organizations/${orgB}`;
      for (const path of [
        '',
        '/subscription',
        '/subscription/history',
        '/usage',
        '/usage/api_calls/history',
        '/alerts',
        '/credits',
        '/credits/transactions',
        '/invoices',
        '/projects',
        '/users',
        '/audit-log',
      ]) {
        const answer = await harness.request('GET', `${base}${path}`, { token });
        expect({ path, status: answer.status }).toEqual({ path, status: 200 });
      }
      const usage = await harness.request('GET', `${base}/usage`, { token });
      expect(usage.body.features.find((line: { feature: string }) => line.feature === 'api_calls').used).toBe(
        7,
      );
      const members = await harness.request('GET', `${base}/users`, { token });
      expect(members.body.data.map((member: { id: string }) => member.id)).toEqual([`user_of_${orgB}`]);
      const credits = await harness.request('GET', `${base}/credits`, { token });
      expect(credits.body.balance).toBe('100');
      // Another organization's page is still a 404, before any statement runs.
      expect((await harness.request('GET', `/v1/organizations/${orgA}/usage`, { token })).status).toBe(404);
      // A session may sign its organization out: a write through the tenant role (generation row, audit entry).
      expect((await harness.request('DELETE', `${base}/sessions`, { token })).status).toBe(200);
    });

    it('hands pooled connections back as the DATABASE_URL role, with no organization set', async () => {
      const token = tokenOf(orgA);
      await Promise.all(
        Array.from({ length: 30 }, () =>
          harness.request('GET', `/test/organizations/${orgA}/unfiltered/projects`, { token }),
        ),
      );
      const states = await Promise.all(
        Array.from({ length: 30 }, () =>
          queryRows<{ role: string; organization: string | null }>(
            harness.tollgate.database.db,
            sql`select current_user as role, nullif(current_setting('tollgate.organization_id', true), '') as organization`,
          ),
        ),
      );
      expect(new Set(states.map(([state]) => JSON.stringify(state)))).toEqual(
        new Set([JSON.stringify({ role: 'postgres', organization: null })]),
      );
    });
  });

describe(
  'row-level security: a DATABASE_URL role that may not create roles',
  skipUnless(testDatabaseUrl, NEEDS_POSTGRES),
  () => {
    const suffix = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
    const owner = `tollgate_test_owner_${suffix}`;
    const database = `tollgate_test_${suffix}`;
    const asAdmin = async (text: string) => {
      const client = new pg.Client({ connectionString: testDatabaseUrl });
      await client.connect();
      try {
        await client.query(text);
      } finally {
        await client.end();
      }
    };
    const urlAs = (role: string) => {
      const url = new URL(testDatabaseUrl as string);
      url.username = role;
      url.password = '';
      url.pathname = `/${database}`;
      return url.toString();
    };
    const start = async () => {
      const lines: string[] = [];
      const stream = new Writable({
        write(chunk, _encoding, callback) {
          lines.push(String(chunk));
          callback();
        },
      });
      const tollgate = await createTollgate({
        databaseUrl: urlAs(owner),
        pgliteDir: null,
        catalog: Catalog.from(demoCatalog),
        adminKey: TEST_ADMIN_KEY,
        logger: { level: 'warn', stream },
      });
      const warnings = lines.map((line) => JSON.parse(line).msg as string);
      return { tollgate, warnings };
    };
    const request = (tollgate: Awaited<ReturnType<typeof start>>['tollgate'], url: string, token: string) =>
      tollgate.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });

    beforeAll(async () => {
      // The tenant role exists on this server already (the other suites' starts made it); this owner
      // may not create roles, nor is it a member of the tenant role.
      await asAdmin(`create role ${owner} login nosuperuser nocreaterole nocreatedb`);
      await asAdmin(`create database ${database} owner ${owner}`);
    });
    afterAll(async () => {
      await asAdmin(`drop database if exists ${database} with (force)`);
      await asAdmin(`drop role if exists ${owner}`);
    });

    it('starts, says once what the operator must run, and after the grant confines sessions', async () => {
      await asAdmin(`create role ${TENANT_ROLE} nologin noinherit`).catch(() => {});
      const first = await start();
      try {
        expect(first.warnings).toEqual([
          `row-level security is off for session-token requests: "${owner}" may not switch to role ${TENANT_ROLE}: as a superuser run GRANT ${TENANT_ROLE} TO "${owner}"; then restart`,
        ]);
        expect(first.tollgate.context.organizationDatabase).toBeUndefined();
        // Session requests still work, confined by the code's own checks as before.
        await first.tollgate.app.inject({
          method: 'POST',
          url: '/v1/organizations',
          headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
          payload: { id: 'owner_org', name: 'owner_org' },
        });
        const session = await first.tollgate.app.inject({
          method: 'POST',
          url: '/v1/organizations/owner_org/sessions',
          headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
          payload: {},
        });
        const token = session.json().token as string;
        expect((await request(first.tollgate, '/v1/organizations/owner_org/usage', token)).statusCode).toBe(
          200,
        );
      } finally {
        await first.tollgate.close();
      }

      await asAdmin(`grant ${TENANT_ROLE} to ${owner}`);
      const second = await start();
      try {
        expect(second.warnings).toEqual([]);
        const organizationDatabase = second.tollgate.context.organizationDatabase;
        expect(organizationDatabase).toBeDefined();
        // The owner is not a superuser: its own reads see everything (it owns the tables, and they are
        // not forced), its tenant view only the organization's rows.
        await second.tollgate.app.inject({
          method: 'POST',
          url: '/v1/organizations',
          headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
          payload: { id: 'other_org', name: 'other_org' },
        });
        const everything = await queryRows<{ id: string }>(
          second.tollgate.database.db,
          sql`select id from organizations order by id`,
        );
        expect(everything.map((row) => row.id)).toEqual(['other_org', 'owner_org']);
        const confined = await queryRows<{ id: string }>(
          organizationDatabase?.('owner_org') ?? second.tollgate.database.db,
          sql`select id from organizations`,
        );
        expect(confined.map((row) => row.id)).toEqual(['owner_org']);
      } finally {
        await second.tollgate.close();
      }
    });
  },
);
